
namespace GptOss.Generation.Tests;

public sealed class ScriptedTokenGeneratorTests
{
    private static readonly GenerationOptions StopOnCallOrReturn = new() { StopTokens = new HashSet<int> { 200002, 200012 } };

    private static async Task<List<GeneratedToken>> Run(ITokenGenerator g, int[] prompt, GenerationOptions? options = null, CancellationToken ct = default)
    {
        var tokens = new List<GeneratedToken>();
        await foreach (var t in g.GenerateAsync(prompt, options ?? StopOnCallOrReturn, ct)) tokens.Add(t);
        return tokens;
    }

    [Fact]
    public async Task Replays_scripts_in_order_and_stops_after_the_stop_token()
    {
        var g = new ScriptedTokenGenerator([[1, 2, 200012, 9, 9], [3, 200002]]);

        var first = await Run(g, [10, 11]);
        var second = await Run(g, [10, 11, 1, 2, 12]);

        Assert.Equal([1, 2, 200012], first.Select(t => t.Id));
        Assert.Equal(FinishReason.Stop, first[^1].Stats.FinishReason);
        Assert.All(first.Take(2), t => Assert.Null(t.Stats.FinishReason));
        Assert.Equal([3, 200002], second.Select(t => t.Id));
        Assert.Equal(3, first[^1].Stats.GeneratedTokens);
        Assert.Equal(2, first[^1].Stats.PromptTokens);
        Assert.Equal(2, g.Prompts.Count);
        Assert.Equal([10, 11, 1, 2, 12], g.Prompts[1]);
    }

    [Fact]
    public async Task Max_new_tokens_ends_with_length()
    {
        var g = new ScriptedTokenGenerator([[1, 2, 3, 4, 200002]]);

        var tokens = await Run(g, [5], StopOnCallOrReturn with { MaxNewTokens = 2 });

        Assert.Equal([1, 2], tokens.Select(t => t.Id));
        Assert.Equal(FinishReason.Length, tokens[^1].Stats.FinishReason);
    }

    [Fact]
    public async Task Script_without_stop_token_ends_with_stop_at_its_end()
    {
        var g = new ScriptedTokenGenerator([[7, 8]]);

        var tokens = await Run(g, [5]);

        Assert.Equal([7, 8], tokens.Select(t => t.Id));
        Assert.Equal(FinishReason.Stop, tokens[^1].Stats.FinishReason);
    }

    [Fact]
    public async Task Cached_prompt_tokens_are_the_prefix_shared_with_the_previous_prompt_and_its_sampled_tokens()
    {
        var g = new ScriptedTokenGenerator([[1, 2, 200012], [3, 200002], [4, 200002]]);

        var first = await Run(g, [10, 11, 12]);
        // The KV cache holds 10 11 12 1 2 (the stop token was sampled but never fed back).
        var second = await Run(g, [10, 11, 12, 1, 2, 99, 98]);
        var third = await Run(g, [10, 11, 50]);

        Assert.Equal(0, first[^1].Stats.CachedPromptTokens);
        Assert.Equal(5, second[^1].Stats.CachedPromptTokens);
        Assert.Equal(2, third[^1].Stats.CachedPromptTokens);
    }

    [Fact]
    public async Task Responder_function_sees_the_prompt_and_call_index()
    {
        var g = new ScriptedTokenGenerator((prompt, call) => [prompt.Count, call, 200002]);

        var a = await Run(g, [1, 2, 3]);
        var b = await Run(g, [1]);

        Assert.Equal([3, 0, 200002], a.Select(t => t.Id));
        Assert.Equal([1, 1, 200002], b.Select(t => t.Id));
    }

    [Fact]
    public async Task Running_out_of_scripts_is_a_clear_error()
    {
        var g = new ScriptedTokenGenerator([[200002]]);
        await Run(g, [1]);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => Run(g, [1]));
        Assert.Contains("call 2", error.Message);
    }

    [Fact]
    public async Task Cancellation_ends_the_stream_at_the_next_token_with_cancelled_like_the_engine()
    {
        var g = new ScriptedTokenGenerator([[1, 2, 3, 200002]]);
        using var cts = new CancellationTokenSource();
        var seen = new List<GeneratedToken>();

        await foreach (var t in g.GenerateAsync([1], StopOnCallOrReturn, cts.Token))
        {
            seen.Add(t);
            cts.Cancel();
        }

        Assert.Equal([1, 2], seen.Select(t => t.Id));
        Assert.Equal(FinishReason.Cancelled, seen[^1].Stats.FinishReason);
    }

    [Fact]
    public async Task A_call_cancelled_before_it_starts_throws()
    {
        var g = new ScriptedTokenGenerator([[1, 200002]]);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Run(g, [1], ct: new CancellationToken(canceled: true)));
        Assert.Empty(g.Prompts);
    }

    [Fact]
    public async Task An_identical_prompt_still_computes_its_last_token()
    {
        var g = new ScriptedTokenGenerator([[5, 200002], [5, 200002]]);

        await Run(g, [1, 2, 3]);
        var again = await Run(g, [1, 2, 3]);

        Assert.Equal(2, again[^1].Stats.CachedPromptTokens);
    }

    [Fact]
    public async Task Concurrent_callers_are_served_one_script_each()
    {
        var g = new ScriptedTokenGenerator(Enumerable.Range(0, 8).Select(i => (IReadOnlyList<int>)[i, i, 200002]));

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => Run(g, [1]))));

        var firsts = results.Select(r => r.Select(t => t.Id).ToArray()).ToArray();
        Assert.All(firsts, ids => Assert.Equal(ids[0], ids[1]));
        Assert.Equal(Enumerable.Range(0, 8), firsts.Select(ids => ids[0]).Order());
    }

    [Fact]
    public async Task Harmony_text_scripts_are_encoded_with_special_tokens_and_prompts_decode_back()
    {
        var g = ScriptedTokenGenerator.FromHarmony("<|channel|>final<|message|>Hi<|return|>");
        var prompt = GptOss.Harmony.HarmonyTokenizer.Shared.Encode("<|start|>user<|message|>Hello<|end|><|start|>assistant", allowSpecial: true);

        var tokens = await Run(g, prompt.ToArray());

        Assert.Equal(200005, tokens[0].Id); // <|channel|>
        Assert.Equal(200002, tokens[^1].Id); // <|return|>
        Assert.Equal("<|channel|>final<|message|>Hi<|return|>", GptOss.Harmony.HarmonyTokenizer.Shared.Decode(tokens.Select(t => t.Id)));
        Assert.Equal("<|start|>user<|message|>Hello<|end|><|start|>assistant", Assert.Single(g.PromptTexts));
    }
}
