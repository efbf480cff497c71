namespace GptOss.Tools.Tests;

/// <summary>A test class that gets a fresh <see cref="ToolExecutor"/> per test from <paramref name="factory"/> and disposes it afterwards.</summary>
public abstract class FactoryTestBase(ToolExecutorFactory factory) : IAsyncLifetime
{
    protected ToolExecutorFactory Factory => factory;

    protected ToolExecutor Executor { get; private set; } = null!;

    public Task InitializeAsync()
    {
        Executor = factory.Create();
        return Task.CompletedTask;
    }

    public virtual async Task DisposeAsync() => await Executor.DisposeAsync();
}

/// <summary>A test class with a factory of its own, built from <see cref="Calls.FastOptions"/> plus the class's settings.</summary>
public abstract class ExecutorTestBase(Action<ToolsOptions> configure) : FactoryTestBase(new ToolExecutorFactory(Calls.FastOptions(configure)))
{
    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Factory.Dispose();
    }
}
