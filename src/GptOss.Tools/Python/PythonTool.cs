using System.Globalization;
using GptOss.Harmony;

namespace GptOss.Tools.Python;

/// <summary>
/// The <c>python</c> tool with harmony's stateful semantics: one sandboxed worker per conversation keeps its
/// namespace between calls. A call that runs past the time limit, or a worker killed by a limit, loses that
/// state: the worker is killed, the result says so, and the next call starts a fresh one.
/// </summary>
internal sealed class PythonTool(ToolsOptions options, PythonSandbox sandbox) : IHarmonyTool, IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private PythonSession? _session;

    public string Name => "python";

    public ToolNamespaceConfig Namespace { get; } = new("python", PythonDescription.For(options.TimeLimit), []);

    public bool IsTransient(Exception exception) => false;

    public async Task<IReadOnlyList<Message>> ProcessAsync(Message call, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_session is { HasExited: true }) Restart();
            _session ??= PythonSession.Start(sandbox);
            PythonOutcome outcome;
            try
            {
                outcome = await _session.RunAsync(call.Text, options.TimeLimit, Math.Max(0, options.MaxOutputChars - 200), cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                Restart();
                throw;
            }
            if (outcome is not PythonOutcome.Completed) Restart();
            return [ToolMessages.Reply(call, Render(outcome))];
        }
        finally
        {
            _gate.Release();
        }
    }

    private string Render(PythonOutcome outcome) => outcome switch
    {
        PythonOutcome.Completed completed => Render(completed),
        PythonOutcome.TimedOut =>
            $"Execution timed out after {options.TimeLimit.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture)} seconds. " +
            "The python process was killed and restarted, so its state (variables, imports, files in /mnt/data) was lost.",
        PythonOutcome.Died { Detail: var detail } =>
            $"The python process died: {detail}. It was restarted, so its state (variables, imports, files in /mnt/data) was lost.",
        _ => throw new InvalidOperationException(outcome.ToString()),
    };

    private static string Render(PythonOutcome.Completed completed)
    {
        var text = completed.DroppedBytes > 0
            ? $"{completed.Output}\n[... {completed.DroppedBytes} bytes of output dropped ...]\n{completed.Tail}".TrimEnd('\n')
            : completed.Output.TrimEnd('\n');
        return text.Length > 0 ? text : "(no output)";
    }

    private void Restart()
    {
        _session?.Dispose();
        _session = null;
    }

    public void Dispose()
    {
        Restart();
        _gate.Dispose();
    }
}

/// <summary>
/// Harmony's python description (its first paragraph verbatim), with a second paragraph stating the limits this
/// sandbox really has: stateful, the real timeout, the one writable drive, no internet.
/// </summary>
internal static class PythonDescription
{
    public static string For(TimeSpan timeLimit)
    {
        var purpose = BuiltinTools.Python.Description!.Split("\n\n")[0];
        return purpose + "\n\n" +
            "When you send a message containing Python code to python, it will be executed in a stateful Jupyter notebook environment. " +
            $"python will respond with the output of the execution or time out after {timeLimit.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} seconds. " +
            $"The drive at '{PythonSandbox.WorkDirectory}' can be used to save and persist user files for this session; nothing else is writable. " +
            "Internet access for this session is disabled.";
    }
}
