using GptOss.Generation;
using GptOss.Harmony;
using GptOss.Remote.Http;
using GptOss.Remote.Testing;

namespace GptOss.Remote.Tests;

/// <summary>The engines under test: llama.cpp twice, as it answers differently when streaming.</summary>
public enum Engine
{
    Vllm,
    Sglang,
    LlamaCpp,
    LlamaCppStreaming,
}

/// <summary>A fake server and a generator speaking to it, per engine; generators are disposed with the test.</summary>
public abstract class RemoteTestBase : IDisposable
{
    /// <summary>Fast, few retries, so retry tests take milliseconds.</summary>
    internal static readonly RemoteRetryOptions FastRetry = new()
    {
        MaxRetryAttempts = 2, BaseDelay = TimeSpan.FromMilliseconds(1), MaxDelay = TimeSpan.FromMilliseconds(5),
        MaxRetryAfter = TimeSpan.FromMilliseconds(5),
    };

    public static TheoryData<Engine> AllEngines => [Engine.Vllm, Engine.Sglang, Engine.LlamaCpp, Engine.LlamaCppStreaming];

    /// <summary>Engines whose answers are streamed, where mid-answer events exist.</summary>
    public static TheoryData<Engine> StreamingEngines => [Engine.Vllm, Engine.Sglang, Engine.LlamaCppStreaming];

    private readonly List<IDisposable> _generators = [];

    /// <summary>A prompt as the pipeline renders it, ending in &lt;|start|&gt;assistant.</summary>
    public static IReadOnlyList<int> Prompt { get; } =
        HarmonyChatPipeline.RenderPrompt([Message.FromRole(Role.User, "What is the weather in Paris?")]);

    public static IReadOnlyList<int> Encode(string harmony) => HarmonyTokenizer.Shared.Encode(harmony, allowSpecial: true);

    internal static FakeEngineServer StartFake(Engine engine, ITokenGenerator inner, FakeServerOptions? options = null) => engine switch
    {
        Engine.Vllm => FakeVllmServer.Start(inner, options),
        Engine.Sglang => FakeSglangServer.Start(inner, options),
        _ => FakeLlamaServer.Start(inner, options),
    };

    internal static FakeEngineServer StartFake(Engine engine, string harmony, FakeServerOptions? options = null) =>
        StartFake(engine, ScriptedTokenGenerator.FromHarmony(harmony), options);

    internal ITokenGenerator Client(Engine engine, string endpoint, Action<GenerationBackendOptions>? configure = null,
        HttpClient? http = null, RemoteRetryOptions? retry = null)
    {
        var options = new GenerationBackendOptions { Kind = engine.ToString(), Endpoint = endpoint };
        configure?.Invoke(options);
        retry ??= FastRetry;
        ITokenGenerator generator = engine switch
        {
            Engine.Vllm => new VllmTokenGenerator(options, http, retry),
            Engine.Sglang => new SglangTokenGenerator(options, http, retry),
            Engine.LlamaCpp => new LlamaCppTokenGenerator(options, http, streaming: false, retry),
            _ => new LlamaCppTokenGenerator(options, http, streaming: true, retry),
        };
        _generators.Add((IDisposable)generator);
        return generator;
    }

    public static async Task<List<GeneratedToken>> CollectAsync(
        ITokenGenerator generator, IReadOnlyList<int> prompt, GenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        var tokens = new List<GeneratedToken>();
        await foreach (var token in generator.GenerateAsync(prompt, options ?? new GenerationOptions(), cancellationToken)) tokens.Add(token);
        return tokens;
    }

    public void Dispose()
    {
        foreach (var generator in _generators) generator.Dispose();
        GC.SuppressFinalize(this);
    }
}
