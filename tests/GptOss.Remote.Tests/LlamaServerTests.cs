using GptOss.Remote.Testing;
using GptOss.Generation;
using GptOss.Harmony;
using GptOss.Testing;

namespace GptOss.Remote.Tests;

/// <summary>
/// The llama.cpp backend against a real <c>llama-server</c> running a script model converted to GGUF. Needs
/// <c>LLAMA_SERVER</c> (the binary) and <c>GPTOSS_TIKTOKEN</c> (tiktoken's <c>encoders/o200k_base.json</c>);
/// <c>GPTOSS_NODE</c> picks node (default: <c>node</c> on the PATH). Skipped, with that reason, otherwise.
/// </summary>
public sealed class LlamaServerTests(LlamaServerFixture server) : IClassFixture<LlamaServerFixture>
{
    // The JSON argument holds a character split across byte tokens: a streamed answer misses an id there.
    internal const string ToolCall = "<|channel|>commentary to=functions.lookup <|constrain|>json<|message|>{\"q\":\"🦙\"}<|call|>";

    internal static readonly IReadOnlyList<int> Prompt =
        HarmonyChatPipeline.RenderPrompt([Message.FromRole(Role.User, "Look up the llama.")]);

    internal static readonly IReadOnlyList<int> Script = HarmonyTokenizer.Shared.Encode(ToolCall, allowSpecial: true);

    private readonly string _endpoint = server.Endpoint;

    [LlamaServerFact]
    public async Task AToolCallStepReturnsTheScriptedIdsStopsAtCallAndReusesTheCache()
    {
        using var generator = new LlamaCppTokenGenerator(new GenerationBackendOptions { Kind = BackendKinds.LlamaCpp, Endpoint = _endpoint, TimeoutSeconds = 120 });
        Assert.Equal(201_088, generator.Model.VocabularySize);
        var recorder = new List<int>();
        var pipeline = new HarmonyChatPipeline(new Recording(generator, recorder));
        var events = await RunAsync(pipeline, Prompt);

        Assert.Equal(Script, recorder);
        var call = Assert.Single(events.OfType<ToolCallRequested>()).Call;
        Assert.Equal(("functions.lookup", "{\"q\":\"🦙\"}"), (call.Recipient, call.Arguments));
        var first = Assert.IsType<GenerationCompleted>(events[^1]);
        Assert.Equal(HarmonyFinishReason.ToolCalls, first.FinishReason);

        // The next agent step: the exact ids sampled, the tool's reply, a new assistant turn.
        List<int> extended = [.. Prompt, .. recorder, .. new HarmonyRenderer().Render(call.Reply("{\"found\":true}")),
            .. HarmonyTokenizer.Shared.Encode("<|start|>assistant", allowSpecial: true)];
        recorder.Clear();
        var second = Assert.IsType<GenerationCompleted>((await RunAsync(pipeline, extended))[^1]);
        Assert.Equal(Script, recorder);
        Assert.True(second.Usage.CachedPromptTokens > 0, $"cache_n was {second.Usage.CachedPromptTokens}");
    }

    [LlamaServerFact]
    public async Task StreamingReturnsTheSameIdsDespiteTheSplitCharacter()
    {
        using var generator = new LlamaCppTokenGenerator(
            new GenerationBackendOptions { Kind = BackendKinds.LlamaCpp, Endpoint = _endpoint, TimeoutSeconds = 120 }, streaming: true);
        var ids = new List<int>();
        await foreach (var token in generator.GenerateAsync(Prompt, new GenerationOptions { Temperature = 0 })) ids.Add(token.Id);
        Assert.Equal(Script, ids);
    }

    private static async Task<List<HarmonyChatEvent>> RunAsync(HarmonyChatPipeline pipeline, IReadOnlyList<int> prompt)
    {
        var events = new List<HarmonyChatEvent>();
        var request = new HarmonyChatRequest([]) { Prompt = prompt, Generation = new GenerationOptions { Temperature = 0, MaxNewTokens = 64 } };
        await foreach (var e in pipeline.RunAsync(request)) events.Add(e);
        return events;
    }

    private sealed class Recording(ITokenGenerator inner, List<int> ids) : ITokenGenerator
    {
        public ModelDescriptor Model => inner.Model;

        public async IAsyncEnumerable<GeneratedToken> GenerateAsync(IReadOnlyList<int> prompt, GenerationOptions options,
            [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await foreach (var token in inner.GenerateAsync(prompt, options, cancellationToken))
            {
                ids.Add(token.Id);
                yield return token;
            }
        }
    }
}

/// <summary>One llama-server for the class, serving the tool-call script.</summary>
public sealed class LlamaServerFixture : IAsyncLifetime
{
    private LlamaServer? _server;

    public string Endpoint => _server?.Endpoint ?? "";

    public async Task InitializeAsync()
    {
        if (LlamaServer.MissingReason() is null) _server = await LlamaServer.StartAsync(LlamaServerTests.Prompt[^1], LlamaServerTests.Script, TestPaths.SharedDir);
    }

    public async Task DisposeAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
    }
}
