using GptOss.Generation;
using GptOss.Harmony;
using GptOss.Remote.Testing;
using GptOss.Testing;

namespace GptOss.Remote.Tests;

/// <summary>What one engine does differently: SGLang's two output_ids modes, llama.cpp's missing ids when streaming.</summary>
public sealed class EngineQuirkTests : RemoteTestBase
{
    // "é" and "€" are one token each in o200k, but a rare CJK character or emoji splits into byte tokens.
    private const string SplitCharacters = "<|channel|>final<|message|>Ein Bär 🦙 sagt 𝄞 hallo<|return|>";

    [Theory]
    [InlineData(false, 1)]
    [InlineData(false, 3)]
    [InlineData(true, 1)]
    [InlineData(true, 3)]
    public async Task SglangCumulativeAndIncrementalOutputIdsGiveTheSameIds(bool incremental, int idsPerChunk)
    {
        await using var server = StartFake(Engine.Sglang, HarmonyScripts.WeatherAnswer,
            new FakeServerOptions { IncrementalOutputIds = incremental, IdsPerChunk = idsPerChunk });
        var tokens = await CollectAsync(Client(Engine.Sglang, server.Endpoint), Prompt);
        Assert.Equal(Encode(HarmonyScripts.WeatherAnswer), tokens.Select(t => t.Id));
    }

    [Fact]
    public void SglangIncrementalIdsThatRepeatTheReceivedPrefixAreToldApartByTheCount()
    {
        // Received [5]; an incremental event [5, 7] (completion_tokens 3) must not be read as cumulative [5] + [7].
        Assert.Equal([5, 7], Sglang.NewIds([5, 7], [5], completionTokens: 3));
        Assert.Equal([7], Sglang.NewIds([5, 7], [5], completionTokens: 2));
        Assert.Equal([7], Sglang.NewIds([5, 7], [5], completionTokens: null));
    }

    [Theory]
    [InlineData(Engine.Vllm)]
    [InlineData(Engine.Sglang)]
    public async Task AStopIdNamedOnlyInTheFinishReasonIsYieldedLast(Engine engine)
    {
        await using var server = StartFake(engine, HarmonyScripts.WeatherCall, new FakeServerOptions { StopIdOnlyInFinishReason = true, IdsPerChunk = 2 });
        var tokens = await CollectAsync(Client(engine, server.Endpoint), Prompt);
        Assert.Equal(Encode(HarmonyScripts.WeatherCall), tokens.Select(t => t.Id));
        Assert.Equal(FinishReason.Stop, tokens[^1].Stats.FinishReason);
    }

    [Fact]
    public void TheScriptSplitsACharacterAcrossTokens()
    {
        var ids = Encode(SplitCharacters);
        var bytes = new List<byte>();
        var inside = 0;
        foreach (var id in ids)
        {
            bytes.AddRange(HarmonyTokenizer.Shared.TokenBytes(id).ToArray());
            if (FakeLlamaServer.EndsInsideCharacter(bytes)) inside++;
        }
        Assert.True(inside > 0, "the script must hold a token that ends inside a UTF-8 character");
    }

    [Fact]
    public async Task LlamaCppStreamingRedoesTheRestWithoutStreamingWhenAnIdIsMissing()
    {
        var script = Encode(SplitCharacters);
        await using var server = FakeLlamaServer.Start(Continuing(script));
        var tokens = await CollectAsync(Client(Engine.LlamaCppStreaming, server.Endpoint), Prompt);

        Assert.Equal(script, tokens.Select(t => t.Id));
        Assert.Equal(FinishReason.Stop, tokens[^1].Stats.FinishReason);
        var (streamed, redo) = (server.Generations[0], server.Generations[1]);
        Assert.True((bool?)streamed["stream"]);
        Assert.False((bool?)redo["stream"]);
        // The redo continues after the ids that arrived before the gap.
        var continued = RequestShapeTests.Ids(redo["prompt"]);
        Assert.Equal(Prompt, continued.Take(Prompt.Count));
        Assert.Equal(script.Take(continued.Length - Prompt.Count), continued.Skip(Prompt.Count));
        Assert.Equal(2, server.Generations.Count);
    }

    [Fact]
    public async Task LlamaCppWithoutStreamingNeedsOneRequestForSplitCharacters()
    {
        var script = Encode(SplitCharacters);
        await using var server = FakeLlamaServer.Start(Continuing(script));
        var tokens = await CollectAsync(Client(Engine.LlamaCpp, server.Endpoint), Prompt);
        Assert.Equal(script, tokens.Select(t => t.Id));
        Assert.Single(server.Generations);
    }

    /// <summary>A model that continues <paramref name="script"/> from wherever the prompt left it (after <see cref="RemoteTestBase.Prompt"/>).</summary>
    private static ScriptedTokenGenerator Continuing(IReadOnlyList<int> script) =>
        new((prompt, _) => script.Skip(Math.Max(0, prompt.Count - Prompt.Count)).ToArray());

    private static class Sglang
    {
        public static List<int> NewIds(int[] outputIds, int[] received, int? completionTokens) =>
            SglangTokenGenerator.NewIds([.. outputIds], received, completionTokens);
    }
}
