namespace GptOss.Tools.Tests;

/// <summary>A test class that gets a fresh <see cref="ToolExecutor"/> per test, built from
/// <see cref="Calls.FastOptions"/> plus the class's own settings, and disposes it afterwards.</summary>
public abstract class ExecutorTestBase(Action<ToolsOptions> configure) : IAsyncLifetime
{
    private readonly ToolExecutorFactory _factory = new(Calls.FastOptions(configure));

    protected ToolExecutor Executor { get; private set; } = null!;

    public Task InitializeAsync()
    {
        Executor = _factory.Create();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await Executor.DisposeAsync();
        _factory.Dispose();
    }
}
