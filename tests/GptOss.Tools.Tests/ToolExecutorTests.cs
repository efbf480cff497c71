using GptOss.Harmony;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace GptOss.Tools.Tests;

public sealed class ToolExecutorTests
{
    /// <summary>A tool whose behaviour each test scripts.</summary>
    private sealed class ScriptedTool(Func<Message, CancellationToken, Task<IReadOnlyList<Message>>> process, Func<Exception, bool>? transient = null) : IHarmonyTool
    {
        public int Calls;
        public string Name => "scripted";
        public ToolNamespaceConfig Namespace { get; } = new("scripted", "A test tool.", []);
        public bool IsTransient(Exception exception) => transient?.Invoke(exception) ?? false;

        public Task<IReadOnlyList<Message>> ProcessAsync(Message call, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Calls);
            return process(call, cancellationToken);
        }
    }

    private sealed class FlakyException : Exception;

    private static ToolsOptions Options() => Calls.FastOptions(o =>
    {
        o.TimeLimit = TimeSpan.FromSeconds(1);
        o.Resilience.MinimumThroughput = 3;
        o.Resilience.FailureRatio = 0.5;
        o.Resilience.BreakDuration = TimeSpan.FromMinutes(5);
    });

    [Fact]
    public async Task Results_come_from_the_called_recipient_to_the_assistant_on_the_calls_channel()
    {
        var tool = new ScriptedTool((call, _) => Task.FromResult<IReadOnlyList<Message>>(
            [Message.FromRole(Role.Tool, "done") with { Channel = "final" }]));
        await using var executor = new ToolExecutor([tool], Options());
        var reply = Assert.Single(await executor.ExecuteAsync(Calls.To("scripted.run", "{}", channel: "commentary")));
        Assert.Equal(new Author(Role.Tool, "scripted.run"), reply.Author);
        Assert.Equal("assistant", reply.Recipient);
        Assert.Equal("commentary", reply.Channel);
        Assert.Equal("done", reply.Text);
    }

    [Fact]
    public async Task Unknown_tools_and_missing_recipients_are_told_to_the_model()
    {
        await using var executor = new ToolExecutor([new ScriptedTool((_, _) => throw new InvalidOperationException())], Options());
        Assert.False(executor.CanHandle("functions.get_weather"));
        var unknown = Assert.Single(await executor.ExecuteAsync(Calls.To("functions.get_weather", "{}")));
        Assert.Contains("Unknown tool `functions.get_weather`. Available tools: scripted.", unknown.Text);
        var none = Assert.Single(await executor.ExecuteAsync(Message.FromRole(Role.Assistant, "hi")));
        Assert.Contains("no recipient", none.Text);
    }

    [Fact]
    public async Task Crashes_become_messages_and_repeated_crashes_open_the_circuit()
    {
        var tool = new ScriptedTool((_, _) => throw new InvalidOperationException("disk on fire"));
        await using var executor = new ToolExecutor([tool], Options());
        for (var i = 0; i < 3; i++)
            Assert.Contains("failed: InvalidOperationException: disk on fire", await executor.RunAsync("scripted", ""));
        Assert.Contains("temporarily disabled", await executor.RunAsync("scripted", ""));
        Assert.Equal(3, tool.Calls);
    }

    [Fact]
    public async Task Usage_errors_do_not_open_the_circuit()
    {
        var tool = new ScriptedTool((_, _) => throw new ToolUsageException("bad args"));
        await using var executor = new ToolExecutor([tool], Options());
        for (var i = 0; i < 6; i++) Assert.Equal("bad args", await executor.RunAsync("scripted", ""));
        Assert.Equal(6, tool.Calls);
    }

    [Fact]
    public async Task Only_transient_failures_are_retried()
    {
        var flaky = 0;
        var tool = new ScriptedTool((call, _) => Interlocked.Increment(ref flaky) <= 2
            ? throw new FlakyException()
            : Task.FromResult<IReadOnlyList<Message>>([ToolMessages.Reply(call, "third time lucky")]), e => e is FlakyException);
        await using var executor = new ToolExecutor([tool], Options());
        Assert.Equal("third time lucky", await executor.RunAsync("scripted", ""));
        Assert.Equal(3, tool.Calls);

        var hard = new ScriptedTool((_, _) => throw new InvalidOperationException("no"), e => e is FlakyException);
        await using var other = new ToolExecutor([hard], Options());
        await other.RunAsync("scripted", "");
        Assert.Equal(1, hard.Calls);
    }

    [Fact]
    public async Task A_hanging_tool_times_out()
    {
        var tool = new ScriptedTool(async (_, ct) =>
        {
            await Task.Delay(Timeout.Infinite, ct);
            return [];
        });
        await using var executor = new ToolExecutor([tool], Options());
        Assert.Contains("timed out", await executor.RunAsync("scripted", ""));
    }

    [Fact]
    public async Task A_tool_ignoring_its_token_in_synchronous_work_still_times_out()
    {
        using var release = new ManualResetEventSlim();
        var tool = new ScriptedTool((_, _) =>
        {
            release.Wait(TimeSpan.FromSeconds(30)); // blocks before any await, deaf to cancellation
            return Task.FromResult<IReadOnlyList<Message>>([]);
        });
        await using var executor = new ToolExecutor([tool], Options());
        Assert.Contains("timed out", await executor.RunAsync("scripted", ""));
        release.Set();
    }

    [Fact]
    public async Task The_callers_cancellation_propagates()
    {
        var tool = new ScriptedTool(async (_, ct) =>
        {
            await Task.Delay(Timeout.Infinite, ct);
            return [];
        });
        await using var executor = new ToolExecutor([tool], Options());
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => executor.ExecuteAsync(Calls.To("scripted", ""), cts.Token));
    }

    [Fact]
    public async Task Output_is_cut_to_the_limit()
    {
        var tool = new ScriptedTool((call, _) => Task.FromResult<IReadOnlyList<Message>>([ToolMessages.Reply(call, new string('z', 10_000))]));
        await using var executor = new ToolExecutor([tool], Options());
        var text = await executor.RunAsync("scripted", "");
        Assert.StartsWith(new string('z', 4000) + "\n[... output truncated: 6000 characters omitted]", text);
    }

    [Fact]
    public async Task Concurrent_calls_are_limited()
    {
        var running = 0;
        var peak = 0;
        var tool = new ScriptedTool(async (call, _) =>
        {
            var now = Interlocked.Increment(ref running);
            InterlockedMax(ref peak, now);
            await Task.Delay(30);
            Interlocked.Decrement(ref running);
            return [ToolMessages.Reply(call, "ok")];
        });
        await using var executor = new ToolExecutor([tool], Calls.FastOptions(o => o.MaxConcurrentCalls = 2));
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => executor.ExecuteAsync(Calls.To("scripted", ""))));
        Assert.Equal(8, tool.Calls);
        Assert.True(peak <= 2, $"{peak} calls ran at once");
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }

    [Fact]
    public async Task Options_bind_from_the_Tools_section()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Tools:TimeLimit"] = "00:00:07",
            ["Tools:MaxOutputChars"] = "1234",
            ["Tools:Python:Enabled"] = "false",
            ["Tools:Browser:Enabled"] = "false",
            ["Tools:Browser:Http:AllowedHosts:0"] = "example.com",
        }).Build();
        await using var services = new ServiceCollection().AddGptOssTools(config).BuildServiceProvider();
        var options = services.GetRequiredService<Microsoft.Extensions.Options.IOptions<ToolsOptions>>().Value;
        Assert.Equal(TimeSpan.FromSeconds(7), options.TimeLimit);
        Assert.Equal(1234, options.MaxOutputChars);
        Assert.Equal(["example.com"], options.Browser.Http.AllowedHosts);
        await using var executor = services.GetRequiredService<IToolExecutorFactory>().Create();
        Assert.Equal(["javascript"], executor.Namespaces.Select(n => n.Name));
        Assert.Contains("7.0 seconds", executor.Namespaces[0].Description);
    }
}
