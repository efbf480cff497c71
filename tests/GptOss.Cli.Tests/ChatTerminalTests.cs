using System.Diagnostics;
using GptOss.Generation;
using GptOss.Remote.Testing;

namespace GptOss.Cli.Tests;

/// <summary>
/// `gptoss chat` in a real terminal (tmux): a multi-line message, Ctrl+C while the answer is being written (a fake vLLM
/// server stalls mid-answer), /set and /exit, then a second chat whose ↑ recalls the first one's last line.
/// Skipped, saying so, where tmux is missing.
/// </summary>
public sealed class ChatTerminalTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gptoss-chat-tmux-").FullName;
    private readonly string _session = $"gptoss-{Guid.NewGuid():N}"[..20];

    public void Dispose()
    {
        Tmux("kill-session", "-t", _session);
        Directory.Delete(_dir, recursive: true);
    }

    [TmuxFact]
    public async Task Ctrl_c_stops_the_answer_not_the_chat_and_history_outlives_the_session()
    {
        var generator = ScriptedTokenGenerator.FromHarmony(
            "<|channel|>final<|message|>This answer goes on and on and on and never gets to its end because the server stalls.<|return|>");
        await using var server = FakeVllmServer.Start(generator, new FakeServerOptions { ModelName = generator.Model.Name, PauseAfterIds = 8 });
        var settings = Path.Combine(_dir, "settings.json");
        await File.WriteAllTextAsync(settings, """{ "Agents": { "Directory": "none" } }""");
        var gptoss = Path.Combine(AppContext.BaseDirectory, "gptoss.dll");

        var chat = $"GPTOSS_HOME={_dir} dotnet exec {gptoss} chat --config {settings} --backend vllm --endpoint {server.Endpoint}";
        Tmux("new-session", "-d", "-s", _session, "-x", "200", "-y", "50", $"{chat}; {chat}; sleep 30");
        await Screen(">>>");
        foreach (var line in new[] { "\"\"\"", "line one", "line two", "\"\"\"" }) Tmux("send-keys", "-t", _session, "-l", line + "\n");
        await Screen("This answer goes");
        Tmux("send-keys", "-t", _session, "C-c");
        await Screen("(answer stopped)");
        Tmux("send-keys", "-t", _session, "-l", "/set effort high\n");
        var screen = await Screen("Reasoning effort high.");
        Tmux("send-keys", "-t", _session, "-l", "/exit\n");
        await Screen("Chatting with", times: 2);
        Tmux("send-keys", "-t", _session, "Up", "Up");
        var recalled = await Screen(">>> /set effort high");
        Tmux("send-keys", "-t", _session, "Enter");
        await Screen("Reasoning effort high.", times: 2);

        Assert.DoesNotContain("cancelled", screen + recalled);
        Assert.Contains("line one\nline two", generator.PromptTexts[0]);
        Assert.Equal(["\"\"\"", "line one", "line two", "\"\"\"", "/set effort high", "/exit", "/set effort high"],
            await File.ReadAllLinesAsync(Path.Combine(_dir, "chat_history")));
    }

    /// <summary>Waits (up to a minute) until the pane shows <paramref name="text"/> (that many times); returns the pane.</summary>
    private async Task<string> Screen(string text, int times = 1)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var pane = Tmux("capture-pane", "-p", "-t", _session);
            if (pane.Split(text).Length - 1 >= times) return pane;
            Assert.True(clock.Elapsed < TimeSpan.FromMinutes(1), $"the terminal never showed '{text}':\n{pane}");
            await Task.Delay(200);
        }
    }

    private static string Tmux(params string[] args)
    {
        var info = new ProcessStartInfo("tmux") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit(10_000);
        return output;
    }
}

/// <summary>A test that drives a terminal: skipped, saying why, where tmux is not installed.</summary>
public sealed class TmuxFactAttribute : FactAttribute
{
    public TmuxFactAttribute()
    {
        if (!File.Exists("/usr/bin/tmux")) Skip = "tmux is not installed (./test.sh installs it with apt when it runs as root)";
    }
}
