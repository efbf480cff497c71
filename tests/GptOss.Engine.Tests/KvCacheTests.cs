using GptOss.Generation;
using GptOss.Engine.Checkpoints;
using GptOss.Testing;

namespace GptOss.Engine.Tests;

/// <summary>Incremental decode, prefix reuse and the sliding-window ring against cold full prefills.</summary>
public sealed class KvCacheTests
{
    [Fact]
    public async Task PrefixReuseComputesOnlyTheNewTokensAndGivesTheColdLogits()
    {
        var golden = Golden.Read("original-b", "f32");
        using var engine = FixtureExactnessTests.Load("original-b", ActivationDType.Float32);
        var first = golden.Tokens[..12];
        var second = golden.Tokens[..8].Concat(new[] { 7, 8, 9, 10, 11 }).ToArray();   // diverges after 8 tokens

        var run1 = await engine.GenerateAsync(first, Greedy(3)).LastAsync();
        Assert.Equal(0, run1.Stats.CachedPromptTokens);
        var reuse = await engine.GenerateAsync(golden.Tokens, Greedy(1)).LastAsync();
        Assert.Equal(12, reuse.Stats.CachedPromptTokens);   // the cache also held 2 generated tokens, which differ from the new prompt
        var diverged = await engine.GenerateAsync(second, Greedy(1)).LastAsync();
        Assert.Equal(8, diverged.Stats.CachedPromptTokens);

        // Logits after reuse equal a cold run of the same prompt (and the golden).
        var warm = engine.Prefill(golden.Tokens);
        Assert.Equal(8, warm.CachedTokens);
        Assert.True(warm.Logits.Zip(golden.LogitsLast).Max(p => Math.Abs(p.First - p.Second)) < 1e-3f);
        var cold = (await engine.ComputeLogitsAsync(golden.Tokens))[^1];
        Assert.Equal(cold.Length, warm.Logits.Length);
        Assert.True(cold.Zip(warm.Logits).Max(p => Math.Abs(p.First - p.Second)) < 1e-5f);
    }

    [Fact]
    public void SlidingRingThatWrapsStillMatchesTheGoldens()
    {
        // Window 5 and no spare slots: the ring of the sliding layers wraps several times over 20 tokens.
        var golden = Golden.Read("original-b", "f32");
        using var engine = GptOssEngine.Load(TestPaths.TinyFixture("original-b"),
            new EngineOptions { DType = ActivationDType.Float32, SlidingRollback = 0 });
        Assert.True(golden.MaxDifference(FixtureExactnessTests.DecodeOneByOne(engine, golden.Tokens)) < 1e-3f);
        // Diverging further back than the ring holds falls back to computing more of the prompt, still exactly.
        var other = golden.Tokens.ToArray();
        other[10] = 1;
        var (logits, cached) = engine.Prefill(other);
        Assert.True(cached <= 10);
        var cold = FixtureExactnessTests.DecodeOneByOne(GptOssEngine.Load(TestPaths.TinyFixture("original-b"),
            new EngineOptions { DType = ActivationDType.Float32 }), other)[^1];
        Assert.True(cold.Zip(logits).Max(p => Math.Abs(p.First - p.Second)) < 1e-4f);
    }

    [Fact]
    public async Task SlidingOnlyModelIgnoresTokensOutsideItsReceptiveField()
    {
        // Two sliding layers of window 4: position t sees positions t-6..t at most.
        using var dir = new TempDirectory();
        RandomCheckpoint.Write(dir.Path, new RandomCheckpointOptions
        {
            Seed = 3,
            Customize = c => c with { SlidingLayers = [true, true] },
        });
        using var engine = GptOssEngine.Load(dir.Path, new EngineOptions { DType = ActivationDType.Float32 });
        int[] prompt = [11, 22, 33, 44, 55, 66, 77, 88, 99, 110, 121, 132];
        var baseline = await engine.ComputeLogitsAsync(prompt);

        var farChange = prompt.ToArray();
        farChange[4] = 500;   // 11 - 4 = 7 > 6: outside
        // Equal up to GEMM blocking: the changed token regroups the tokens each expert runs on.
        Assert.True(LayoutEquivalenceTests.MaxDifference([baseline[^1]], [(await engine.ComputeLogitsAsync(farChange))[^1]]) < 1e-5f);

        var nearChange = prompt.ToArray();
        nearChange[6] = 500;  // 11 - 6 = 5: inside
        Assert.True(LayoutEquivalenceTests.MaxDifference([baseline[^1]], [(await engine.ComputeLogitsAsync(nearChange))[^1]]) > 1e-2f);
    }

    private static GenerationOptions Greedy(int n) => new() { Temperature = 0, MaxNewTokens = n };
}

internal static class AsyncEnumerableExtensions
{
    public static async Task<T> LastAsync<T>(this IAsyncEnumerable<T> source)
    {
        T last = default!;
        await foreach (var item in source) last = item;
        return last;
    }
}
