using GptOss.Testing;
using Xunit.Abstractions;

namespace GptOss.Engine.Tests;

/// <summary>The engine against OpenAI's reference math on the three tiny fixtures (hf, original, sharded layouts).</summary>
public sealed class FixtureExactnessTests(ITestOutputHelper output)
{
    private const float Float32Tolerance = 1e-3f;

    [Theory]
    [InlineData("hf-a")]
    [InlineData("original-b")]
    [InlineData("sharded-c")]
    public async Task Float32PrefillMatchesGoldenLogits(string fixture)
    {
        var golden = Golden.Read(fixture, "f32");
        using var engine = GptOssEngine.Load(TestPaths.TinyFixture(fixture), new EngineOptions { DType = ActivationDType.Float32 });
        var logits = await engine.ComputeLogitsAsync(golden.Tokens);
        float diff = golden.MaxDifference(logits);
        output.WriteLine($"{fixture} f32 prefill max |diff| = {diff:E3}");
        Assert.True(diff < Float32Tolerance, $"max |diff| {diff} ≥ {Float32Tolerance}");
    }
}
