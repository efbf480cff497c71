using GptOss.Harmony;

namespace GptOss.Tools;

/// <summary>
/// Something the model can call. A call is routed to the tool whose <see cref="Name"/> is the call's
/// recipient (<c>python</c>) or its prefix (<c>browser.search</c>). Tools answer a usage error (bad
/// arguments, code that raised) with a result message and throw only when the tool itself failed.
/// </summary>
public interface IHarmonyTool
{
    /// <summary>The harmony recipient or namespace: <c>python</c>, <c>javascript</c>, <c>browser</c>.</summary>
    string Name { get; }

    /// <summary>What the system message shows the model.</summary>
    ToolNamespaceConfig Namespace { get; }

    /// <summary>Whether a failure may go away on its own (a network fetch); only these are retried.</summary>
    bool IsTransient(Exception exception);

    /// <summary>Processes the assistant's call into result messages (role tool, recipient <c>assistant</c>, the call's channel).</summary>
    Task<IReadOnlyList<Message>> ProcessAsync(Message call, CancellationToken cancellationToken);
}
