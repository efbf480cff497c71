using GptOss.Agents;

namespace GptOss.Cli.Views;

/// <summary>`--json`: the transcript, one event per line, nothing else on stdout.</summary>
internal sealed class JsonLinesView(TextWriter output) : IRunView
{
    public async Task ShowAsync(AgentEvent e)
    {
        await output.WriteLineAsync(AgentTranscript.ToJsonLine(e));
        if (e is AgentEvent.RunCompleted) await output.FlushAsync();
    }
}
