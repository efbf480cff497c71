using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using GptOss.Engine.Checkpoints;

namespace GptOss.Remote.Testing;

/// <summary>
/// A real <c>llama-server</c> serving a script model (<see cref="ScriptCheckpoint"/> converted to GGUF with
/// <c>../shared/tools/llama-peer/hf2gguf.mjs</c>, real vocabulary) on a free port. Needs <c>LLAMA_SERVER</c> (the
/// binary) and <c>GPTOSS_TIKTOKEN</c> (tiktoken's <c>encoders/o200k_base.json</c>); <c>GPTOSS_NODE</c> picks node.
/// </summary>
public sealed class LlamaServer : IAsyncDisposable
{
    private readonly string _work;
    private readonly Process _process;

    private LlamaServer(string work, Process process, string endpoint)
    {
        _work = work;
        _process = process;
        Endpoint = endpoint;
    }

    /// <summary>The base URL (the server may still be loading: the backend retries its 503s).</summary>
    public string Endpoint { get; }

    /// <summary>Why the real server cannot run here, or null when it can.</summary>
    public static string? MissingReason() =>
        Environment.GetEnvironmentVariable("LLAMA_SERVER") is not { Length: > 0 } server || !File.Exists(server)
            ? "set LLAMA_SERVER to a llama-server binary (and GPTOSS_TIKTOKEN to tiktoken's o200k_base.json) to run the llama.cpp server test"
            : Environment.GetEnvironmentVariable("GPTOSS_TIKTOKEN") is not { Length: > 0 } tiktoken || !File.Exists(tiktoken)
                ? "set GPTOSS_TIKTOKEN to tiktoken's encoders/o200k_base.json (npm install tiktoken@1.0.22) to run the llama.cpp server test"
                : null;

    /// <summary>Serves a model whose greedy continuation of a prompt ending in <paramref name="after"/> is <paramref name="script"/>.</summary>
    /// <param name="sharedDir">The read-only <c>../shared</c> folder, which holds the converter.</param>
    public static async Task<LlamaServer> StartAsync(int after, IReadOnlyList<int> script, string sharedDir)
    {
        var work = Directory.CreateTempSubdirectory("gptoss-llama-server-").FullName;
        var checkpoint = Path.Combine(work, "script");
        ScriptCheckpoint.Write(checkpoint, after, script);
        var gguf = Path.Combine(work, "script.gguf");
        var converter = Path.Combine(sharedDir, "tools", "llama-peer", "hf2gguf.mjs");
        await RunAsync(Environment.GetEnvironmentVariable("GPTOSS_NODE") is { Length: > 0 } node ? node : "node",
            [converter, checkpoint, gguf, "--tiktoken", Environment.GetEnvironmentVariable("GPTOSS_TIKTOKEN")!], TimeSpan.FromMinutes(5));

        var port = FreePort();
        var process = Process.Start(new ProcessStartInfo(Environment.GetEnvironmentVariable("LLAMA_SERVER")!)
        {
            ArgumentList = { "-m", gguf, "--host", "127.0.0.1", "--port", port.ToString(), "-c", "4096", "-np", "1", "-t", "2" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new LlamaServer(work, process, $"http://127.0.0.1:{port}");
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

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        Directory.Delete(_work, recursive: true);
    }
}

/// <summary>A test that needs a real llama-server: skipped, naming what is missing, unless the environment provides it.</summary>
public sealed class LlamaServerFactAttribute : Xunit.FactAttribute
{
    public LlamaServerFactAttribute()
    {
        Skip = LlamaServer.MissingReason();
        Timeout = 600_000;
    }
}
