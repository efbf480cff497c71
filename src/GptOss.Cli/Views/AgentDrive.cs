using GptOss.Agents;

namespace GptOss.Cli.Views;

/// <summary>Feeds a run's events to a view.</summary>
internal static class AgentDrive
{
    /// <summary>Shows every event; returns the last (<see cref="AgentEvent.RunCompleted"/>).</summary>
    public static async Task<AgentEvent.RunCompleted> Show(IAsyncEnumerable<AgentEvent> events, IRunView view, CancellationToken ct)
    {
        AgentEvent.RunCompleted? completed = null;
        await foreach (var e in events.WithCancellation(ct))
        {
            await view.ShowAsync(e);
            if (e is AgentEvent.RunCompleted c) completed = c;
        }
        return completed ?? throw new InvalidOperationException("the agent run ended without completing");
    }
}
