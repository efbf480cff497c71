using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using GptOss.Engine.Checkpoints;
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

/// <summary>One llama-server for the class: the script model converted to GGUF and served on a free port.</summary>
public sealed class LlamaServerFixture : IAsyncLifetime
{
    private readonly string _work = Directory.CreateTempSubdirectory("gptoss-llama-server-").FullName;
    private Process? _server;

    public string Endpoint { get; private set; } = "";

    public async Task InitializeAsync()
    {
        if (LlamaServerFactAttribute.MissingReason() is not null) return;
        var checkpoint = Path.Combine(_work, "script");
        ScriptCheckpoint.Write(checkpoint, LlamaServerTests.Prompt[^1], LlamaServerTests.Script);
        var gguf = Path.Combine(_work, "script.gguf");
        var converter = Path.Combine(TestPaths.SharedDir, "tools", "llama-peer", "hf2gguf.mjs");
        await RunAsync(Environment.GetEnvironmentVariable("GPTOSS_NODE") is { Length: > 0 } node ? node : "node",
            [converter, checkpoint, gguf, "--tiktoken", Environment.GetEnvironmentVariable("GPTOSS_TIKTOKEN")!], TimeSpan.FromMinutes(5));

        var port = FreePort();
        Endpoint = $"http://127.0.0.1:{port}";
        _server = Process.Start(new ProcessStartInfo(Environment.GetEnvironmentVariable("LLAMA_SERVER")!)
        {
            ArgumentList = { "-m", gguf, "--host", "127.0.0.1", "--port", port.ToString(), "-c", "4096", "-np", "1", "-t", "2" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        _server.OutputDataReceived += (_, _) => { };
        _server.ErrorDataReceived += (_, _) => { };
        _server.BeginOutputReadLine();
        _server.BeginErrorReadLine();
    }

    private static async Task RunAsync(string program, string[] arguments, TimeSpan limit)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in arguments) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(limit);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', arguments)} ran past {limit}");
        }
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} exited {process.ExitCode}: {await errors}{await output}");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async Task DisposeAsync()
    {
        if (_server is { HasExited: false })
        {
            _server.Kill(entireProcessTree: true);
            await _server.WaitForExitAsync();
        }
        _server?.Dispose();
        Directory.Delete(_work, recursive: true);
    }
}

/// <summary>A test that needs a real llama-server: skipped, naming what is missing, unless the environment provides it.</summary>
public sealed class LlamaServerFactAttribute : FactAttribute
{
    public LlamaServerFactAttribute()
    {
        Skip = MissingReason();
        Timeout = 600_000;
    }

    public static string? MissingReason() =>
        Environment.GetEnvironmentVariable("LLAMA_SERVER") is not { Length: > 0 } server || !File.Exists(server)
            ? "set LLAMA_SERVER to a llama-server binary (and GPTOSS_TIKTOKEN to tiktoken's o200k_base.json) to run the llama.cpp server test"
            : Environment.GetEnvironmentVariable("GPTOSS_TIKTOKEN") is not { Length: > 0 } tiktoken || !File.Exists(tiktoken)
                ? "set GPTOSS_TIKTOKEN to tiktoken's encoders/o200k_base.json (npm install tiktoken@1.0.22) to run the llama.cpp server test"
                : null;
}
