using GptOss.Generation;
using GptOss.Harmony;
using GptOss.Remote.Testing;
using GptOss.Testing;

namespace GptOss.Remote.Tests;

/// <summary>The token contract over every engine's wire format: exact ids, stops, limits and the errors of a broken answer.</summary>
public sealed class TokenStreamTests : RemoteTestBase
{
    [Theory]
    [MemberData(nameof(AllEngines))]
    public async Task ReturnsTheServedIdsExactlyWithTheFinishAndCountersOnTheLastToken(Engine engine)
    {
        await using var server = StartFake(engine, HarmonyScripts.WeatherCall);
        var tokens = await CollectAsync(Client(engine, server.Endpoint), Prompt);

        Assert.Equal(Encode(HarmonyScripts.WeatherCall), tokens.Select(t => t.Id));
        Assert.Equal(HarmonyTokens.Call, tokens[^1].Id);
        Assert.Equal(FinishReason.Stop, tokens[^1].Stats.FinishReason);
        Assert.All(tokens[..^1], t => Assert.Null(t.Stats.FinishReason));
        Assert.Equal(Enumerable.Range(1, tokens.Count), tokens.Select(t => t.Stats.GeneratedTokens));
        Assert.All(tokens, t => Assert.Equal(Prompt.Count, t.Stats.PromptTokens));
    }

    [Theory]
    [InlineData(Engine.Vllm)]
    [InlineData(Engine.Sglang)]
    public async Task ReadsSeveralIdsPerEvent(Engine engine)
    {
        await using var server = StartFake(engine, HarmonyScripts.WeatherAnswer, new FakeServerOptions { IdsPerChunk = 4 });
        var tokens = await CollectAsync(Client(engine, server.Endpoint), Prompt);
        Assert.Equal(Encode(HarmonyScripts.WeatherAnswer), tokens.Select(t => t.Id));
        Assert.Equal(FinishReason.Stop, tokens[^1].Stats.FinishReason);
    }

    [Theory]
    [MemberData(nameof(AllEngines))]
    public async Task StopsRightAfterReturnOrCallEvenWhenTheServerGoesOn(Engine engine)
    {
        const string answer = "<|channel|>final<|message|>Done.<|return|>";
        await using var server = StartFake(engine, answer + "<|start|>assistant<|channel|>final<|message|>More text", new FakeServerOptions { IgnoreStopTokens = true });
        var tokens = await CollectAsync(Client(engine, server.Endpoint), Prompt);
        Assert.Equal(Encode(answer), tokens.Select(t => t.Id));
        Assert.Equal(FinishReason.Stop, tokens[^1].Stats.FinishReason);
    }

    [Theory]
    [MemberData(nameof(AllEngines))]
    public async Task StopsAtTheCallersOwnStopIds(Engine engine)
    {
        var end = HarmonyTokens.End;
        await using var server = StartFake(engine, HarmonyScripts.WeatherCall, new FakeServerOptions { IgnoreStopTokens = true });
        var tokens = await CollectAsync(Client(engine, server.Endpoint), Prompt, new GenerationOptions { StopTokens = new HashSet<int> { end } });
        var script = Encode(HarmonyScripts.WeatherCall);
        Assert.Equal(script.Take(script.ToList().IndexOf(end) + 1), tokens.Select(t => t.Id));
        Assert.Equal(FinishReason.Stop, tokens[^1].Stats.FinishReason);
    }

    [Theory]
    [MemberData(nameof(AllEngines))]
    public async Task EndsWithLengthAtTheTokenLimit(Engine engine)
    {
        await using var server = StartFake(engine, HarmonyScripts.WeatherCall);
        var tokens = await CollectAsync(Client(engine, server.Endpoint), Prompt, new GenerationOptions { MaxNewTokens = 5 });
        Assert.Equal(Encode(HarmonyScripts.WeatherCall).Take(5), tokens.Select(t => t.Id));
        Assert.Equal(FinishReason.Length, tokens[^1].Stats.FinishReason);
    }

    [Theory]
    [MemberData(nameof(StreamingEngines))]
    public async Task AConnectionLostMidAnswerIsAClearError(Engine engine)
    {
        await using var server = StartFake(engine, HarmonyScripts.WeatherCall, new FakeServerOptions { DisconnectAfterIds = 3 });
        var error = await Assert.ThrowsAsync<RemoteBackendException>(() => CollectAsync(Client(engine, server.Endpoint), Prompt));
        Assert.StartsWith($"{EngineName(engine)} at {server.Endpoint}: ", error.Message);
        Assert.Contains("the connection closed after 3 token ids, before the answer finished", error.Message);
    }

    [Theory]
    [MemberData(nameof(StreamingEngines))]
    public async Task AnErrorEventIsAClearError(Engine engine)
    {
        await using var server = StartFake(engine, HarmonyScripts.WeatherCall, new FakeServerOptions { ErrorAfterIds = 2 });
        var error = await Assert.ThrowsAsync<RemoteBackendException>(() => CollectAsync(Client(engine, server.Endpoint), Prompt));
        Assert.Contains("the server reported an error: the fake engine failed in the middle of the answer (internal_error)", error.Message);
    }

    [Theory]
    [InlineData(Engine.Vllm)]
    [InlineData(Engine.Sglang)]
    public async Task AnAnswerWithoutDoneStillEndsAtItsFinishReason(Engine engine)
    {
        await using var server = StartFake(engine, HarmonyScripts.WeatherAnswer, new FakeServerOptions { OmitDone = true, IgnoreStopTokens = true });
        var tokens = await CollectAsync(Client(engine, server.Endpoint), Prompt);
        Assert.Equal(Encode(HarmonyScripts.WeatherAnswer), tokens.Select(t => t.Id));
    }

    [Theory]
    [MemberData(nameof(AllEngines))]
    public async Task AnAnswerWithoutTokenIdsIsAClearError(Engine engine)
    {
        await using var server = StartFake(engine, HarmonyScripts.WeatherCall, new FakeServerOptions { OmitTokenIds = true });
        var error = await Assert.ThrowsAsync<RemoteBackendException>(() => CollectAsync(Client(engine, server.Endpoint), Prompt));
        var hint = engine switch
        {
            Engine.Vllm => "(is return_token_ids supported? vLLM ≥ 0.10.2)",
            Engine.Sglang => "(SGLang's native /generate reports output_ids: is this an SGLang server?)",
            _ => "(does this llama-server support return_tokens?)",
        };
        Assert.Equal($"{EngineName(engine)} at {server.Endpoint}: the response carries no token ids {hint}", error.Message);
    }

    [Theory]
    [MemberData(nameof(AllEngines))]
    public async Task AnIdOutsideTheVocabularyIsAClearError(Engine engine)
    {
        await using var server = StartFake(engine, HarmonyScripts.WeatherCall, new FakeServerOptions { OutOfVocabularyAt = 2 });
        var error = await Assert.ThrowsAsync<RemoteBackendException>(() => CollectAsync(Client(engine, server.Endpoint), Prompt));
        Assert.EndsWith(": the answer holds token id 201088, outside the vocabulary of 201088 ids", error.Message);
    }

    [Theory]
    [MemberData(nameof(StreamingEngines))]
    public async Task AServerThatStopsAnsweringHitsTheTimeout(Engine engine)
    {
        await using var server = StartFake(engine, HarmonyScripts.WeatherCall, new FakeServerOptions { PauseAfterIds = 2 });
        var client = Client(engine, server.Endpoint, o => o.TimeoutSeconds = 1);
        var error = await Assert.ThrowsAsync<RemoteBackendException>(() => CollectAsync(client, Prompt));
        Assert.EndsWith(": no complete answer within 1 s (GptOss:Backend:TimeoutSeconds)", error.Message);
    }

    internal static string EngineName(Engine engine) => engine switch
    {
        Engine.Vllm => "vLLM",
        Engine.Sglang => "SGLang",
        _ => "llama.cpp",
    };
}
