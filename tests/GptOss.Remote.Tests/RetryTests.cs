using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using GptOss.Remote.Http;
using GptOss.Remote.Testing;
using GptOss.Testing;

namespace GptOss.Remote.Tests;

/// <summary>Transient failures are retried a bounded number of times; a 4xx never.</summary>
public sealed class RetryTests : RemoteTestBase
{
    [Theory]
    [MemberData(nameof(AllEngines))]
    public async Task ServiceUnavailableWhileLoadingIsRetried(Engine engine)
    {
        await using var server = StartFake(engine, HarmonyScripts.WeatherCall, new FakeServerOptions { TransientFailures = 2, RetryAfterSeconds = 1 });
        var tokens = await CollectAsync(Client(engine, server.Endpoint), Prompt);
        Assert.Equal(Encode(HarmonyScripts.WeatherCall), tokens.Select(t => t.Id));
        // Two 503s on the model check, its third try, then the generation.
        Assert.Equal(["GET /v1/models", "GET /v1/models", "GET /v1/models", $"POST {server.Requests[^1].Path}"],
            server.Requests.Select(r => $"{r.Method} {r.Path}"));
    }

    [Theory]
    [MemberData(nameof(AllEngines))]
    public async Task RetriesAreBounded(Engine engine)
    {
        await using var server = StartFake(engine, HarmonyScripts.WeatherCall, new FakeServerOptions { TransientFailures = 100 });
        var error = await Assert.ThrowsAsync<RemoteBackendException>(() => CollectAsync(Client(engine, server.Endpoint), Prompt));
        Assert.EndsWith(": /v1/models answered 503 Service Unavailable after 3 attempts: Loading model (unavailable_error)", error.Message);
        Assert.Equal(3, server.Requests.Count);
    }

    [Theory]
    [MemberData(nameof(AllEngines))]
    public async Task AClientErrorIsNotRetried(Engine engine)
    {
        const string body = """{"error":{"code":400,"message":"the request exceeds the available context size","type":"exceed_context_size_error"}}""";
        await using var server = StartFake(engine, HarmonyScripts.WeatherCall, new FakeServerOptions { Reject = (400, body) });
        var error = await Assert.ThrowsAsync<RemoteBackendException>(() => CollectAsync(Client(engine, server.Endpoint), Prompt));
        Assert.EndsWith("answered 400 Bad Request: the request exceeds the available context size (exceed_context_size_error)", error.Message);
        Assert.Single(server.Generations);
    }

    [Theory]
    [MemberData(nameof(AllEngines))]
    public async Task ARefusedConnectionIsRetriedUntilTheServerListens(Engine engine)
    {
        var port = FreePort();
        FakeEngineServer? server = null;
        var attempts = 0;
        // The server starts listening after two refused attempts, as one that is still starting.
        using var http = new HttpClient(new CountingHandler(() =>
        {
            if (++attempts == 3) server = StartFake(engine, HarmonyScripts.WeatherCall, new FakeServerOptions { Port = port });
        }));
        try
        {
            var tokens = await CollectAsync(Client(engine, $"http://127.0.0.1:{port}", http: http), Prompt);
            Assert.Equal(Encode(HarmonyScripts.WeatherCall), tokens.Select(t => t.Id));
            Assert.Equal(4, attempts);   // two refused, then the model check and the generation
        }
        finally
        {
            if (server is not null) await server.DisposeAsync();
        }
    }

    [Theory]
    [MemberData(nameof(AllEngines))]
    public async Task ANeverListeningServerIsAClearErrorAfterTheLastAttempt(Engine engine)
    {
        var port = FreePort();
        var attempts = 0;
        using var http = new HttpClient(new CountingHandler(() => attempts++));
        var error = await Assert.ThrowsAsync<RemoteBackendException>(() => CollectAsync(Client(engine, $"http://127.0.0.1:{port}", http: http), Prompt));
        Assert.StartsWith($"{TokenStreamTests.EngineName(engine)} at http://127.0.0.1:{port}: cannot connect after 3 attempts (", error.Message);
        Assert.EndsWith("); is the server running?", error.Message);
        Assert.Equal(3, attempts);
    }

    [Fact]
    public void RetryAfterIsHonouredInSecondsOrAsADateAndCapped()
    {
        var now = new DateTimeOffset(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);
        var cap = TimeSpan.FromSeconds(60);
        Assert.Equal(TimeSpan.FromSeconds(7), TransientFailureRetry.RetryAfter(new RetryConditionHeaderValue(TimeSpan.FromSeconds(7)), now, cap));
        Assert.Equal(TimeSpan.FromSeconds(20), TransientFailureRetry.RetryAfter(new RetryConditionHeaderValue(now.AddSeconds(20)), now, cap));
        Assert.Equal(cap, TransientFailureRetry.RetryAfter(new RetryConditionHeaderValue(TimeSpan.FromHours(1)), now, cap));
        Assert.Equal(TimeSpan.Zero, TransientFailureRetry.RetryAfter(new RetryConditionHeaderValue(now.AddSeconds(-5)), now, cap));
        Assert.Null(TransientFailureRetry.RetryAfter(null, now, cap));
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Calls <paramref name="onSend"/> before every attempt the client makes.</summary>
    private sealed class CountingHandler(Action onSend) : DelegatingHandler(new SocketsHttpHandler())
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            onSend();
            return base.SendAsync(request, cancellationToken);
        }
    }
}
