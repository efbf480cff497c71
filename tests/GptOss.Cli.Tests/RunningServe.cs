using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using GptOss.Cli.Commands;

namespace GptOss.Cli.Tests;

/// <summary>`gptoss serve ARGS` running in-process on a free port until disposed (or <see cref="StopAsync"/>).</summary>
internal sealed class RunningServe : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private Task<int> _serving = Task.FromResult(0);

    private RunningServe(int port)
    {
        Address = $"http://127.0.0.1:{port}";
        Http = new HttpClient { BaseAddress = new Uri(Address + "/") };
    }

    public string Address { get; }

    public HttpClient Http { get; }

    public StringWriter Stderr { get; } = new();

    /// <summary>Starts the server and waits until it answers <c>GET /v1/models</c>.</summary>
    public static async Task<RunningServe> StartAsync(params string[] args)
    {
        var serve = new RunningServe(FreePort());
        serve._serving = ServeCommand.Create().Parse(["--urls", serve.Address, .. args])
            .InvokeAsync(new InvocationConfiguration { Error = serve.Stderr }, serve._stop.Token);
        for (var attempt = 0; ; attempt++)
        {
            Assert.False(serve._serving.IsCompleted, $"the server exited before listening: {serve.Stderr}");
            try
            {
                (await serve.Http.GetAsync("v1/models")).EnsureSuccessStatusCode();
                return serve;
            }
            catch (HttpRequestException) when (attempt < 600)
            {
                await Task.Delay(50);
            }
        }
    }

    /// <summary>Cancels the command (Ctrl+C) and returns its exit code.</summary>
    public async Task<int> StopAsync()
    {
        await _stop.CancelAsync();
        return await _serving;
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        Http.Dispose();
        _stop.Dispose();
    }
}
