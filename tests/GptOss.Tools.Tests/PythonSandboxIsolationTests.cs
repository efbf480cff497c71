using System.Runtime.Versioning;

namespace GptOss.Tools.Tests;

/// <summary>
/// What sandboxed code must not reach: other conversations' limits, the host's descriptors, the tool's protocol
/// and output capture, kernel namespaces and unbounded memory. Each hostile cell runs under the sandbox's own
/// limits (1 MB files, 8 MB /tmp and /mnt/data, 3 s per call).
/// </summary>
public sealed class PythonSandboxIsolationTests : IClassFixture<PythonSandboxIsolationTests.Sandbox>, IAsyncLifetime
{
    public sealed class Sandbox : IDisposable
    {
        public ToolExecutorFactory Factory { get; } = new(Options());

        public void Dispose() => Factory.Dispose();
    }

    private static ToolsOptions Options(Action<ToolsOptions>? more = null) => Calls.FastOptions(o =>
    {
        o.JavaScript.Enabled = false;
        o.Browser.Enabled = false;
        o.Python.MaxFileBytes = 1L << 20;
        o.Python.WorkDirBytes = 8L << 20;
        more?.Invoke(o);
    });

    private readonly Sandbox _sandbox;
    private ToolExecutor _executor = null!;

    public PythonSandboxIsolationTests(Sandbox sandbox) => _sandbox = sandbox;

    public Task InitializeAsync()
    {
        _executor = _sandbox.Factory.Create();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _executor.DisposeAsync();

    private Task<string> Python(string code) => _executor.RunAsync("python", code);

    [SkippableSandboxFact]
    public async Task A_conversation_at_its_process_limit_does_not_stop_another()
    {
        const int limit = 16;
        using var factory = new ToolExecutorFactory(Options(o =>
        {
            o.Python.MaxProcesses = limit;
            o.TimeLimit = TimeSpan.FromSeconds(20); // forking is slow on a loaded machine
        }));
        await using var holder = factory.Create();
        // The worker and bubblewrap's two processes count too: this is as many as the limit lets it hold.
        var held = await holder.RunAsync("python", $$"""
            import os, time
            children = []
            for _ in range({{limit - 4}}):
                pid = os.fork()
                if pid == 0:
                    time.sleep(30); os._exit(0)
                children.append(pid)
            print('holding', len(children))
            """);
        Assert.Equal($"holding {limit - 4}", held);
        await using var other = factory.Create();
        Assert.Equal("2", await other.RunAsync("python", "1 + 1"));
    }

    [SkippableSandboxFact]
    [SupportedOSPlatform("linux")]
    public async Task A_failed_availability_check_is_repeated_for_later_conversations()
    {
        var folder = Directory.CreateTempSubdirectory("bwrap-later-");
        try
        {
            // The sandbox user execs bubblewrap from here.
            File.SetUnixFileMode(folder.FullName, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
            var bubblewrap = Path.Combine(folder.FullName, "bwrap");
            using var factory = new ToolExecutorFactory(Options(o =>
            {
                o.Python.BubblewrapPath = bubblewrap;
                o.Python.AvailabilityRecheckInterval = TimeSpan.Zero;
            }));
            await using (var before = factory.Create())
                Assert.Contains("bubblewrap not found", before.Unavailable["python"]);
            File.CreateSymbolicLink(bubblewrap, new ToolsOptions().Python.BubblewrapPath);
            await using var after = factory.Create();
            Assert.True(after.CanHandle("python"), string.Join("; ", after.Unavailable.Values));
            Assert.Equal("3", await after.RunAsync("python", "1 + 2"));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
