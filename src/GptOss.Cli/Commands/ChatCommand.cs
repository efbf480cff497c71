using System.CommandLine;
using System.Globalization;
using System.Text;
using GptOss.Agents;
using GptOss.Cli.Hosting;
using GptOss.Cli.Views;
using GptOss.Harmony;

namespace GptOss.Cli.Commands;

/// <summary>
/// `gptoss chat [--agent NAME]`: an interactive conversation with an agent. Lines starting with <c>/</c> are commands
/// (<c>/set effort|temperature|verbose</c>, <c>/clear</c>, <c>/regen</c>, <c>/exit</c>); <c>"""</c> opens and closes a
/// multi-line message; Ctrl+C stops the answer being written, Ctrl+D (end of input) ends the chat.
/// </summary>
internal static class ChatCommand
{
    private const string MultiLine = "\"\"\"";

    /// <summary>Where chat reads the user's lines when they are not typed at a terminal; tests swap it.</summary>
    internal static TextReader Input { get; set; } = Console.In;

    /// <summary>A terminal typing into chat gets line editing and history; redirected input (and tests) read <see cref="Input"/>.</summary>
    private static bool Typed => Input == Console.In && !Console.IsInputRedirected && !Console.IsOutputRedirected;

    public static Command Create()
    {
        var agent = new Option<string?>("--agent") { Description = "Name of the agent to chat with (default: 'assistant' if configured)" };
        var command = new Command("chat", "Chat with an agent interactively (/set, /clear, /regen, \"\"\" for several lines; /exit or Ctrl+D ends).");
        command.Options.Add(agent);
        HostFlags.AddModel(command);
        ViewFlags.AddTo(command);
        command.SetAction((r, ct) => CommandGuard.Run(r, async () =>
        {
            using var host = CliHost.Open(r);
            var catalog = host.LoadAgents();
            var definition = r.GetValue(agent) is { } name ? catalog.Get(name) : DefaultAgent(catalog);
            await using var session = host.CreateRunner().CreateSession(definition);
            var output = r.InvocationConfiguration.Output;
            var viewOptions = ViewFlags.Read(r, host.LoadTime);
            await output.WriteLineAsync($"Chatting with '{definition.Name}' on {host.Generator.Model.Name}. /exit or Ctrl+D to quit, /? for commands.");
            using var answer = new AnswerCancellation(ct);
            var editor = Typed ? new LineEditor(LineEditor.DefaultHistoryFile) : null;
            while (true)
            {
                var message = await ReadMessageAsync(output, editor, ct);
                if (message is null || message.Trim() == "/exit") return 0;
                if (message.Trim().Length == 0) continue;
                if (message.StartsWith('/') && !message.StartsWith("//", StringComparison.Ordinal))
                {
                    var command = Command(session, message.Trim(), ref viewOptions);
                    await output.WriteLineAsync(command.Reply);
                    if (command.Resend is not { } resend) continue;
                    message = resend;
                }
                var view = new TerminalView(output, r.InvocationConfiguration.Error, viewOptions);
                try
                {
                    await AgentDrive.Show(session.SendAsync(message, answer.Begin()), view, ct);
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    await output.WriteLineAsync();
                    await output.WriteLineAsync("(answer stopped)");
                    session.TakeBackLastTurn();   // a half answer is not part of the conversation
                }
                finally
                {
                    answer.End();
                }
            }
        }));
        return command;
    }

    /// <summary>One message: a line, or the lines between two <c>"""</c> lines. Null at the end of input.</summary>
    private static async Task<string?> ReadMessageAsync(TextWriter output, LineEditor? editor, CancellationToken ct)
    {
        var line = await ReadLineAsync(output, editor, ">>> ", ct);
        if (line is null || line.Trim() != MultiLine) return line;
        var text = new StringBuilder();
        while (await ReadLineAsync(output, editor, "... ", ct) is { } next && next.Trim() != MultiLine)
            text.Append(text.Length > 0 ? "\n" : "").Append(next);
        return text.ToString();
    }

    private static async Task<string?> ReadLineAsync(TextWriter output, LineEditor? editor, string prompt, CancellationToken ct)
    {
        if (editor is not null) return editor.ReadLine(prompt);
        await output.WriteAsync(prompt);
        await output.FlushAsync(ct);
        return await Input.ReadLineAsync(ct);
    }

    private readonly record struct CommandResult(string Reply, string? Resend = null);

    private static CommandResult Command(AgentSession session, string line, ref TerminalViewOptions view)
    {
        var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        switch (words)
        {
            case ["/clear"]:
                session.Clear();
                return new("Cleared the conversation.");
            case ["/regen"]:
                return session.TakeBackLastTurn() is { } last ? new("Answering again.", last) : new("Nothing to answer again.");
            case ["/set", "effort", var level] when Enum.TryParse<ReasoningEffort>(level, ignoreCase: true, out var effort):
                session.Reconfigure(session.Agent with { ReasoningEffort = effort });
                return new($"Reasoning effort {effort.ToString().ToLowerInvariant()}.");
            case ["/set", "temperature", var value] when float.TryParse(value, CultureInfo.InvariantCulture, out var t) && t >= 0:
                session.Reconfigure(session.Agent with { Model = session.Agent.Model with { Temperature = t } });
                return new($"Temperature {t.ToString(CultureInfo.InvariantCulture)}.");
            case ["/set", "verbose", var flag] when flag is "on" or "off":
                view = view with { Verbose = flag == "on" };
                return new($"Verbose {flag}.");
            default:
                return new("Commands: /set effort low|medium|high, /set temperature T, /set verbose on|off, /clear, /regen, /exit; \"\"\" starts and ends a multi-line message.");
        }
    }

    private static AgentDefinition DefaultAgent(AgentCatalog catalog) =>
        catalog.TryGet("assistant", out var assistant)
            ? assistant
            : new AgentDefinition { Name = "assistant", Instructions = "You are a helpful assistant." };

    /// <summary>Ctrl+C stops the answer being written (not the chat): each answer gets a token Ctrl+C cancels.</summary>
    private sealed class AnswerCancellation : IDisposable
    {
        private readonly CancellationToken _chat;
        private CancellationTokenSource? _answer;

        public AnswerCancellation(CancellationToken chat)
        {
            _chat = chat;
            if (!Console.IsInputRedirected) Console.CancelKeyPress += OnCancelKey;
        }

        public CancellationToken Begin()
        {
            _answer = CancellationTokenSource.CreateLinkedTokenSource(_chat);
            return _answer.Token;
        }

        public void End()
        {
            Interlocked.Exchange(ref _answer, null)?.Dispose();
        }

        private void OnCancelKey(object? sender, ConsoleCancelEventArgs e)
        {
            if (Volatile.Read(ref _answer) is not { } answer) return;   // between answers Ctrl+C ends the chat
            e.Cancel = true;
            try
            {
                answer.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // the answer ended meanwhile
            }
        }

        public void Dispose()
        {
            Console.CancelKeyPress -= OnCancelKey;
            End();
        }
    }
}
