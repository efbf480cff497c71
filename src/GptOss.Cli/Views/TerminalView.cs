using GptOss.Agents;

namespace GptOss.Cli.Views;

/// <summary>
/// A terminal: the answer streams to stdout; reasoning, tool traffic and step counters go to stderr. What the model and
/// the tools wrote passes through <see cref="TerminalText.Escape"/>: their control sequences must not reach the terminal.
/// </summary>
internal sealed class TerminalView(TextWriter output, TextWriter progress, TerminalViewOptions? options = null) : IRunView
{
    private const int ResultPreview = 200;
    private const string DimOn = "\u001b[2m", DimOff = "\u001b[0m";
    private readonly TerminalViewOptions _options = options ?? new TerminalViewOptions();
    private readonly List<AgentEvent.StepCompleted> _steps = [];
    private bool _loadShown;
    private string? _streaming;

    public async Task ShowAsync(AgentEvent e)
    {
        switch (e)
        {
            case AgentEvent.RunStarted s:
                await progress.WriteLineAsync($"[{s.Agent} on {s.Model}]");
                break;
            case AgentEvent.ReasoningDelta d when !_options.HideThinking:
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
                _steps.Add(s);
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
                if (_options.Verbose) await ShowSpeeds(c);
                _steps.Clear();
                break;
        }
    }

    /// <summary>What <c>ollama run --verbose</c> prints: load, prompt and generation speed, time to the first token.</summary>
    private async Task ShowSpeeds(AgentEvent.RunCompleted run)
    {
        if (_options.LoadTime is { } load && !_loadShown)
        {
            await progress.WriteLineAsync($"load duration:        {load.TotalSeconds:0.###} s");
            _loadShown = true;
        }
        var prefill = _steps.Sum(s => s.PrefillTokens);
        var prefillTime = TimeSpan.FromTicks(_steps.Sum(s => s.PrefillTime.Ticks));
        var decodeTime = TimeSpan.FromTicks(_steps.Sum(s => s.DecodeTime.Ticks));
        await progress.WriteLineAsync($"total duration:       {run.Duration.TotalSeconds:0.###} s");
        await progress.WriteLineAsync($"prompt eval count:    {prefill} token(s) ({run.CachedPromptTokens} more from the cache)");
        await progress.WriteLineAsync($"prompt eval rate:     {Rate(prefill, prefillTime)}");
        await progress.WriteLineAsync($"eval count:           {run.GeneratedTokens} token(s)");
        // The first token of each step comes from its prefill, so the decode rate counts the others.
        await progress.WriteLineAsync($"eval rate:            {Rate(run.GeneratedTokens - _steps.Count, decodeTime)}");
        if (_steps.Count > 0) await progress.WriteLineAsync($"time to first token:  {_steps[0].PrefillTime.TotalSeconds:0.###} s");
    }

    private static string Rate(int tokens, TimeSpan time) =>
        tokens > 0 && time > TimeSpan.Zero ? $"{tokens / time.TotalSeconds:0.##} tokens/s" : "n/a";

    private async Task Stream(TextWriter writer, string kind, string text)
    {
        if (_streaming != kind)
        {
            await EndStream();
            if (kind != "answer") await writer.WriteAsync($"({kind}) ");
            if (kind == "thinking" && _options.Dim) await writer.WriteAsync(DimOn);
            _streaming = kind;
        }
        await writer.WriteAsync(TerminalText.Escape(text));
    }

    private async Task EndStream()
    {
        if (_streaming is null) return;
        if (_streaming == "thinking" && _options.Dim) await progress.WriteAsync(DimOff);
        await (_streaming == "answer" ? output : progress).WriteLineAsync();
        _streaming = null;
    }

    private static string OneLine(string text, int max)
    {
        var line = TerminalText.Escape(text.ReplaceLineEndings(" ⏎ "));
        return line.Length <= max ? line : $"{line[..max]}… ({text.Length} chars)";
    }
}
