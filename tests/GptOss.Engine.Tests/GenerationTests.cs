using GptOss.Generation;
using GptOss.Engine.Generation;

namespace GptOss.Engine.Tests;

/// <summary>Sampling and the <see cref="ITokenGenerator"/> contract on a tiny fixture.</summary>
public sealed class GenerationTests
{
    private static readonly int[] Prompt = [5, 917, 33, 400, 12, 999, 0, 271];

    [Fact]
    public void GreedyPicksTheLargestLogitAndBreaksTiesTowardTheLowerId()
    {
        var sampler = new TokenSampler(new GenerationOptions { Temperature = 0 });
        Assert.Equal(2, sampler.Sample([0f, 1f, 3f, 3f, -1f], remainingTokens: 1));
        Assert.Equal(0, sampler.Sample([5f, 5f, 5f], remainingTokens: 1));
    }

    [Theory]
    [InlineData(0f, 1f)]
    [InlineData(1f, 1f)]
    [InlineData(1f, 0.5f)]
    public void AConstraintsMaskAppliesBeforeTemperatureAndTopPAndLearnsEachToken(float temperature, float topP)
    {
        var constraint = new OnlyTheseTokens(4, 2, 3);
        var sampler = new TokenSampler(new GenerationOptions { Temperature = temperature, TopP = topP, Seed = 3, Constraint = constraint });
        float[] logits = [0f, 20f, 1f, 1.5f];   // token 1 would win almost every draw unmasked
        var picks = Enumerable.Range(0, 100).Select(i => sampler.Sample(logits, remainingTokens: 100 - i)).ToArray();
        Assert.All(picks, token => Assert.Contains(token, new[] { 2, 3 }));
        Assert.Equal(picks, constraint.Accepted);
        Assert.Equal(Enumerable.Range(1, 100).Reverse(), constraint.Remaining);
    }

    [Fact]
    public void AConstraintOverAnotherVocabularyIsRefusedClearly()
    {
        var sampler = new TokenSampler(new GenerationOptions { Constraint = new OnlyTheseTokens(10, 1) });
        var error = Assert.Throws<InvalidOperationException>(() => sampler.Sample([0f, 1f, 2f], remainingTokens: 5));
        Assert.Contains("needs the o200k_harmony vocabulary (10 tokens); this model has 3", error.Message);
    }

    /// <summary>Allows a fixed set of tokens and records what the sampler tells it.</summary>
    private sealed class OnlyTheseTokens(int vocabularySize, params int[] allowed) : GptOss.Constraints.ITokenConstraint
    {
        public List<int> Accepted { get; } = [];
        public List<int> Remaining { get; } = [];

        public GptOss.Constraints.TokenMask Allowed(int remainingTokens)
        {
            Remaining.Add(remainingTokens);
            var mask = new GptOss.Constraints.TokenMask(vocabularySize);
            foreach (int token in allowed) mask.Allow(token);
            return mask;
        }

        public void Accept(int token) => Accepted.Add(token);
    }

    [Fact]
    public void TopPKeepsOnlyTheSmallestLikelySet()
    {
        var sampler = new TokenSampler(new GenerationOptions { Temperature = 1, TopP = 0.5f, Seed = 1 });
        float[] logits = [0f, 10f, 0f, 9.9f, 0f];   // tokens 1 and 3 hold almost all mass; 1 alone is ~52 %
        Assert.All(Enumerable.Range(0, 200), _ => Assert.Equal(1, sampler.Sample(logits, remainingTokens: 1)));
    }

    [Fact]
    public void TemperatureSamplingFollowsTheDistributionAndTheSeed()
    {
        float[] logits = [0f, MathF.Log(3f), -50f];   // p = 0.25, 0.75, ~0
        var draws = Draw(new GenerationOptions { Temperature = 1, Seed = 42 }, logits, 4000);
        Assert.Equal(draws, Draw(new GenerationOptions { Temperature = 1, Seed = 42 }, logits, 4000));
        Assert.NotEqual(draws, Draw(new GenerationOptions { Temperature = 1, Seed = 43 }, logits, 4000));
        double share = draws.Count(d => d == 1) / 4000.0;
        Assert.InRange(share, 0.70, 0.80);
        Assert.DoesNotContain(2, draws);
    }

    [Fact]
    public void TopPOverAFullVocabularyMatchesAFullSort()
    {
        // Flat logits: the top-p set spans thousands of tokens, so the candidate threshold must be lowered repeatedly.
        var random = new Random(5);
        var logits = Enumerable.Range(0, 201088).Select(_ => (float)(random.NextDouble() * 12)).ToArray();
        foreach (var topP in new[] { 0.05f, 0.5f, 0.95f, 0.9999f })
        {
            var options = new GenerationOptions { Temperature = 0.8f, TopP = topP, Seed = 99 };
            var sampler = new TokenSampler(options);
            var reference = new Random(unchecked((int)(99L ^ (99L >> 32))));
            for (int draw = 0; draw < 20; draw++)
                Assert.Equal(FullSortTopP(logits, options, reference), sampler.Sample(logits, remainingTokens: 1));
        }
    }

    /// <summary>Top-p as defined: sort every token by probability (ties → lower id), keep the smallest prefix reaching p.</summary>
    private static int FullSortTopP(float[] logits, GenerationOptions options, Random random)
    {
        float max = logits.Max();
        var p = logits.Select(l => Math.Exp((l - max) / options.Temperature)).ToArray();
        double total = p.Sum();
        var order = Enumerable.Range(0, p.Length).OrderByDescending(i => p[i]).ThenBy(i => i).ToArray();
        double kept = 0;
        int count = 0;
        while (count < order.Length && (count == 0 || kept < options.TopP * total)) kept += p[order[count++]];
        double target = random.NextDouble() * kept;
        for (int j = 0; j < count; j++)
            if ((target -= p[order[j]]) < 0) return order[j];
        return order[count - 1];
    }

    private static int[] Draw(GenerationOptions options, float[] logits, int n)
    {
        var sampler = new TokenSampler(options);
        return Enumerable.Range(0, n).Select(_ => sampler.Sample(logits, remainingTokens: 1)).ToArray();
    }

    [Fact]
    public async Task SeededSamplingThroughTheEngineIsReproducible()
    {
        using var engine = FixtureExactnessTests.Load("hf-a", ActivationDType.BFloat16);
        var options = new GenerationOptions { Temperature = 1.0f, TopP = 0.9f, Seed = 1234, MaxNewTokens = 10 };
        var a = await FixtureExactnessTests.Generate(engine, Prompt, 10, options);
        var b = await FixtureExactnessTests.Generate(engine, Prompt, 10, options);
        Assert.Equal(a, b);
        Assert.Equal(10, a.Length);
    }

    [Fact]
    public async Task StopTokenIsYieldedLastWithFinalStats()
    {
        using var engine = FixtureExactnessTests.Load("hf-a", ActivationDType.Float32);
        var free = await FixtureExactnessTests.Generate(engine, Prompt, 6);
        var stop = free[3];
        var tokens = new List<GeneratedToken>();
        await foreach (var t in engine.GenerateAsync(Prompt, new GenerationOptions { Temperature = 0, MaxNewTokens = 6, StopTokens = new HashSet<int> { stop } }))
            tokens.Add(t);
        int firstStop = Array.IndexOf(free, stop);
        Assert.Equal(free[..(firstStop + 1)], tokens.Select(t => t.Id));
        Assert.Equal(FinishReason.Stop, tokens[^1].Stats.FinishReason);
        Assert.All(tokens[..^1], t => Assert.Null(t.Stats.FinishReason));
        Assert.Equal(Prompt.Length, tokens[^1].Stats.PromptTokens);
        Assert.Equal(tokens.Count, tokens[^1].Stats.GeneratedTokens);
    }

    [Fact]
    public async Task MaxNewTokensEndsWithLength()
    {
        using var engine = FixtureExactnessTests.Load("hf-a", ActivationDType.Float32);
        var last = await engine.GenerateAsync(Prompt, new GenerationOptions { Temperature = 0, MaxNewTokens = 4 }).LastAsync();
        Assert.Equal(4, last.Stats.GeneratedTokens);
        Assert.Equal(FinishReason.Length, last.Stats.FinishReason);
    }

    [Fact]
    public async Task AFullContextEndsWithLength()
    {
        using var engine = GptOssEngine.Load(GptOss.Testing.TestPaths.TinyFixture("hf-a"), new EngineOptions { DType = ActivationDType.Float32, MaxContext = 12 });
        Assert.Equal(12, engine.Model.ContextLength);
        var last = await engine.GenerateAsync([.. Prompt, 1, 2], new GenerationOptions { Temperature = 0, MaxNewTokens = 100 }).LastAsync();
        Assert.Equal(FinishReason.Length, last.Stats.FinishReason);
        Assert.Equal(3, last.Stats.GeneratedTokens);   // two fed back (positions 10, 11), the third needs no position
        await Assert.ThrowsAsync<ArgumentException>(() => engine.ComputeLogitsAsync(Enumerable.Range(0, 13).ToArray()));
    }

    [Fact]
    public async Task DecodesAheadOfTheCallerByAtMostTwoTokens()
    {
        using var engine = FixtureExactnessTests.Load("hf-a", ActivationDType.Float32);
        await using var tokens = engine.GenerateAsync(Prompt, new GenerationOptions { Temperature = 0, MaxNewTokens = 6 }).GetAsyncEnumerator();
        Assert.True(await tokens.MoveNextAsync());
        // Without being asked for more, the engine feeds the first token to the model, hands the second over, feeds it
        // too and waits: the caller's work on a token overlaps the next decode.
        Assert.True(SpinWait.SpinUntil(() => engine.CachedTokenCount == Prompt.Length + 2, TimeSpan.FromSeconds(30)),
            $"cache holds {engine.CachedTokenCount} tokens, expected the prompt's {Prompt.Length} + 2");
        Thread.Sleep(300);   // a decode of this fixture takes milliseconds
        Assert.Equal(Prompt.Length + 2, engine.CachedTokenCount);
        Assert.True(await tokens.MoveNextAsync());
        Assert.True(SpinWait.SpinUntil(() => engine.CachedTokenCount == Prompt.Length + 3, TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task LeavingEarlyKeepsTheEngineConsistent()
    {
        using var engine = FixtureExactnessTests.Load("hf-a", ActivationDType.Float32);
        var full = await FixtureExactnessTests.Generate(engine, Prompt, 6);
        for (int leaveAfter = 1; leaveAfter <= 3; leaveAfter++)
        {
            int seen = 0;
            await foreach (var _ in engine.GenerateAsync(Prompt, new GenerationOptions { Temperature = 0, MaxNewTokens = 6 }))
                if (++seen == leaveAfter) break;
            Assert.Equal(full, await FixtureExactnessTests.Generate(engine, Prompt, 6));
        }
    }

    /// <summary>
    /// A cancel after the third token ends the stream at the fourth, marked <see cref="FinishReason.Cancelled"/> — also
    /// when the engine had already computed the fourth ahead (it is handed over once the fourth is in the cache).
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task CancellationEndsTheStreamWithCancelled(bool afterTheNextTokenWasComputed)
    {
        using var engine = FixtureExactnessTests.Load("hf-a", ActivationDType.Float32);
        using var cts = new CancellationTokenSource();
        var tokens = new List<GeneratedToken>();
        await foreach (var t in engine.GenerateAsync(Prompt, new GenerationOptions { Temperature = 0, MaxNewTokens = 100 }, cts.Token))
        {
            tokens.Add(t);
            if (tokens.Count != 3) continue;
            if (afterTheNextTokenWasComputed)
                Assert.True(SpinWait.SpinUntil(() => engine.CachedTokenCount == Prompt.Length + 4, TimeSpan.FromSeconds(30)));
            cts.Cancel();
        }
        Assert.Equal(4, tokens.Count);
        Assert.Equal(FinishReason.Cancelled, tokens[^1].Stats.FinishReason);
        // The engine is still usable afterwards.
        Assert.Equal(2, (await FixtureExactnessTests.Generate(engine, Prompt, 2)).Length);
    }

    [Fact]
    public async Task ConcurrentCallersGetTheSameResultsAsSequentialOnes()
    {
        using var engine = FixtureExactnessTests.Load("sharded-c", ActivationDType.Float32);
        int[][] prompts = [[1, 2, 3, 4], [100, 200, 300], [1, 2, 3, 4, 5, 6], [7]];
        var sequential = new List<int[]>();
        foreach (var p in prompts)
            sequential.Add(await FixtureExactnessTests.Generate(engine, p, 5));
        var concurrent = await Task.WhenAll(prompts.Select(p => Task.Run(() => FixtureExactnessTests.Generate(engine, p, 5))));
        Assert.Equal(sequential, concurrent);
    }
}
