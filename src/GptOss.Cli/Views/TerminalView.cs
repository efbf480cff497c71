using GptOss.Agents;

namespace GptOss.Cli.Views;

/// <summary>
/// A terminal: the answer streams to stdout; reasoning, tool traffic and step counters go to stderr. What the model and
/// the tools wrote passes through <see cref="TerminalText.Escape"/>: their control sequences must not reach the terminal.
/// </summary>
internal sealed class TerminalView(TextWriter output, TextWriter progress) : IRunView
{
    private const int ResultPreview = 200;
    private string? _streaming;

    public async Task ShowAsync(AgentEvent e)
    {
        switch (e)
        {
            case AgentEvent.RunStarted s:
                await progress.WriteLineAsync($"[{s.Agent} on {s.Model}]");
                break;
            case AgentEvent.ReasoningDelta d:
                await Stream(progress, "thinking", d.Text);
                break;
            case AgentEvent.PreambleDelta d:
                await Stream(progress, "note", d.Text);
                break;
            case AgentEvent.AnswerDelta d:
                await Stream(output, "answer", d.Text);
                await output.FlushAsync();
                break;
            case AgentEvent.ToolCall c:
                await EndStream();
                await progress.WriteLineAsync($"→ {TerminalText.Escape(c.Recipient)} {OneLine(c.Arguments, ResultPreview)}");
                break;
            case AgentEvent.ToolResult t:
                await progress.WriteLineAsync($"← {t.Recipient}{(t.Failed == true ? " (failed)" : "")} {OneLine(t.Content, ResultPreview)}");
                break;
            case AgentEvent.OutputProblem p:
                await EndStream();
                await progress.WriteLineAsync($"! {TerminalText.Escape(p.Description)}");
                break;
            case AgentEvent.StepCompleted s:
                await EndStream();
                await progress.WriteLineAsync(
                    $"[step {s.Step}: prompt {s.PromptTokens} (cached {s.CachedPromptTokens}, prefill {s.PrefillTokens}), " +
                    $"generated {s.GeneratedTokens}, model {s.ModelTime.TotalMilliseconds:0.#} ms, tools {s.ToolTime.TotalMilliseconds:0.#} ms, " +
                    $"overhead {s.OverheadTime.TotalMilliseconds:0.##} ms]");
                break;
            case AgentEvent.RunCompleted c:
                await EndStream();
                await progress.WriteLineAsync(
                    $"[{c.Outcome} after {c.Step} step(s), {c.Duration.TotalSeconds:0.##} s; prompt {c.PromptTokens} tokens, cached {c.CachedPromptTokens}, generated {c.GeneratedTokens}]");
                break;
        }
    }

    private async Task Stream(TextWriter writer, string kind, string text)
    {
        if (_streaming != kind)
        {
            await EndStream();
            if (kind != "answer") await writer.WriteAsync($"({kind}) ");
            _streaming = kind;
        }
        await writer.WriteAsync(TerminalText.Escape(text));
    }

    private async Task EndStream()
    {
        if (_streaming is null) return;
        await (_streaming == "answer" ? output : progress).WriteLineAsync();
        _streaming = null;
    }

    private static string OneLine(string text, int max)
    {
        var line = TerminalText.Escape(text.ReplaceLineEndings(" ⏎ "));
        return line.Length <= max ? line : $"{line[..max]}… ({text.Length} chars)";
    }
}
