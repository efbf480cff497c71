using GptOss.Generation;


namespace GptOss.Remote.Testing;

/// <summary>How a test reaches its scripted model: directly, or over HTTP through a fake vLLM server and the vLLM backend.</summary>
public enum GeneratorRoute
{
    Direct,
    Vllm,
}

/// <summary>
/// Puts a test's generators on its route, so one suite asserts the same things in-process and through a remote
/// backend in token ids; disposing stops the fake servers it started.
/// </summary>
public sealed class GeneratorRoutes(GeneratorRoute route) : IAsyncDisposable
{
    private readonly List<IAsyncDisposable> _started = [];

    public GeneratorRoute Route => route;

    /// <summary><paramref name="inner"/> itself, or a vLLM backend talking to a fake vLLM server that serves <paramref name="inner"/>'s ids.</summary>
    public ITokenGenerator Through(ITokenGenerator inner, FakeServerOptions? options = null)
    {
        if (route == GeneratorRoute.Direct) return inner;
        var server = Serve(inner, options);
        var client = new VllmTokenGenerator(new GenerationBackendOptions { Kind = BackendKinds.Vllm, Endpoint = server.Endpoint, Model = inner.Model.Name });
        lock (_started) _started.Insert(0, new DisposeClient(client));   // clients before their servers
        return client;
    }

    /// <summary>A fake vLLM server serving <paramref name="inner"/>'s ids under its model name, stopped with the others.</summary>
    public FakeVllmServer Serve(ITokenGenerator inner, FakeServerOptions? options = null)
    {
        var server = FakeVllmServer.Start(inner, (options ?? new FakeServerOptions()) with { ModelName = inner.Model.Name, ContextLength = inner.Model.ContextLength });
        lock (_started) _started.Add(server);
        return server;
    }

    private sealed class DisposeClient(IDisposable client) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            client.Dispose();
            return ValueTask.CompletedTask;
        }
    }

    public async ValueTask DisposeAsync()
    {
        List<IAsyncDisposable> started;
        lock (_started) started = [.. _started];
        foreach (var item in started) await item.DisposeAsync();
    }
}

/// <summary>A test class whose generators go through <see cref="Routes"/>; a concrete subclass per route runs its tests.</summary>
public abstract class RoutedTests(GeneratorRoute route) : Xunit.IAsyncLifetime
{
    protected GeneratorRoutes Routes { get; } = new(route);

    Task Xunit.IAsyncLifetime.InitializeAsync() => Task.CompletedTask;

    async Task Xunit.IAsyncLifetime.DisposeAsync() => await Routes.DisposeAsync();
}
