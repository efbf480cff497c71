using GptOss.Engine.Forward;
using GptOss.Testing;
using Xunit.Abstractions;

namespace GptOss.Engine.Tests;

/// <summary>
/// The two forward passes on the CPU: the tensor pass (the reference math on tensors, what other devices run) against
/// the goldens, and the CPU-kernel pass against the tensor pass as oracle, through prefill and token-by-token decode.
/// </summary>
public sealed class ForwardPassTests(ITestOutputHelper output)
{
    /// <summary>Float32 logits of the two passes and the goldens agree to a few float32 roundings of logits around 4–8.</summary>
    private const float Float32Tolerance = 1e-4f;
    private const float BFloat16Tolerance = 0.1f;

    private static GptOssEngine Load(string fixture, ActivationDType dtype, ForwardPassKind pass) =>
        GptOssEngine.Load(TestPaths.TinyFixture(fixture), new EngineOptions { DType = dtype }, pass);

    [Theory, MemberData(nameof(FixtureExactnessTests.Fixtures), MemberType = typeof(FixtureExactnessTests))]
    public async Task The_tensor_pass_matches_the_golden_logits(string fixture)
    {
        var golden = Golden.Read(fixture, "f32");
        using var engine = Load(fixture, ActivationDType.Float32, ForwardPassKind.Tensor);
        float prefill = golden.MaxDifference(await engine.ComputeLogitsAsync(golden.Tokens));
        float decode = golden.MaxDifference(FixtureExactnessTests.DecodeOneByOne(engine, golden.Tokens));
        var greedy = await FixtureExactnessTests.Generate(engine, golden.Tokens, golden.Greedy.Length);
        output.WriteLine($"{fixture} tensor pass f32 max |diff| prefill {prefill:E3}, decode {decode:E3}");
        Assert.True(prefill < Float32Tolerance, $"prefill max |diff| {prefill} ≥ {Float32Tolerance}");
        Assert.True(decode < Float32Tolerance, $"decode max |diff| {decode} ≥ {Float32Tolerance}");
        Assert.Equal(golden.Greedy, greedy);
    }

    [Theory]
    [InlineData("hf-a", ActivationDType.Float32)]
    [InlineData("original-b", ActivationDType.Float32)]
    [InlineData("sharded-c", ActivationDType.Float32)]
    [InlineData("hf-a", ActivationDType.BFloat16)]
    [InlineData("original-b", ActivationDType.BFloat16)]
    public async Task The_cpu_kernel_pass_matches_the_tensor_pass(string fixture, ActivationDType dtype)
    {
        var tokens = Golden.Read(fixture, "f32").Tokens;
        using var oracle = Load(fixture, dtype, ForwardPassKind.Tensor);
        using var cpu = Load(fixture, dtype, ForwardPassKind.CpuKernels);
        float prefill = LayoutEquivalenceTests.MaxDifference(await oracle.ComputeLogitsAsync(tokens), await cpu.ComputeLogitsAsync(tokens));
        float decode = LayoutEquivalenceTests.MaxDifference(
            [.. FixtureExactnessTests.DecodeOneByOne(oracle, tokens)], [.. FixtureExactnessTests.DecodeOneByOne(cpu, tokens)]);
        output.WriteLine($"{fixture} {dtype} CPU pass vs tensor pass max |diff| prefill {prefill:E3}, decode {decode:E3}");
        float bar = dtype == ActivationDType.Float32 ? Float32Tolerance : BFloat16Tolerance;
        Assert.True(prefill < bar, $"prefill max |diff| {prefill} ≥ {bar}");
        Assert.True(decode < bar, $"decode max |diff| {decode} ≥ {bar}");
    }
}
