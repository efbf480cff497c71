using TorchSharp;

namespace GptOss.Engine.Tests;

[CollectionDefinition(nameof(TensorCounting), DisableParallelization = true)]
public sealed class TensorCounting;

/// <summary>Each forward pass runs in a dispose scope: the live tensor count does not grow with generated tokens.</summary>
[Collection(nameof(TensorCounting))]
public sealed class TensorLeakTests
{
    private static readonly int[] Prompt = [5, 917, 33, 400, 12, 999, 0, 271];

    [Fact]
    public async Task DecodingDoesNotLeakTensors()
    {
        using var engine = FixtureExactnessTests.Load("hf-a", ActivationDType.BFloat16);
        await FixtureExactnessTests.Generate(engine, Prompt, 3);
        // Tensors other tests left to the finalizer must not be counted (nor freed) while we measure.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        long before = torch.Tensor.TotalCount;
        await FixtureExactnessTests.Generate(engine, [.. Prompt, 1, 2], 40);
        Assert.True(torch.Tensor.TotalCount - before <= 5, $"{torch.Tensor.TotalCount - before} more live tensors after 40 tokens");
    }
}
