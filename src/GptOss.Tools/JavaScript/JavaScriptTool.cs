using GptOss.Harmony;
using GptOss.Tools.Execution;

namespace GptOss.Tools.JavaScript;

/// <summary>
/// The <c>javascript</c> tool: a Jint engine per conversation, so variables survive between calls.
/// Jint runs with no CLR access and with statement, recursion, memory, array and time limits. Those limits are
/// cooperative, so each call also runs on its own large-stack thread under an outer deadline: an engine that does
/// not stop in time is abandoned and the next call starts a fresh one.
/// </summary>
internal sealed class JavaScriptTool(ToolsOptions options) : IHarmonyTool, IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private JavaScriptSession? _session;

    public string Name => "javascript";

    public ToolNamespaceConfig Namespace { get; } = new(
        "javascript",
        "Use this tool to run JavaScript (ECMAScript 2024) code in your chain of thought. The code will not be shown to the user.\n\n" +
        "When you send a message containing JavaScript code to javascript, it will be executed in a stateful interpreter: " +
        "variables and functions defined in one call are available in the next. javascript will respond with everything " +
        "written by console.log and the value of the last expression, or time out after " +
        $"{options.TimeLimit.TotalSeconds:0.0} seconds. There is no file system, no network and no host access: " +
        "only the language and its standard library.",
        []);

    public bool IsTransient(Exception exception) => false;

    /// <summary>When a call is cut if the interpreter has not stopped at its own limit: inside the pipeline's timeout.</summary>
    internal static TimeSpan Deadline(ToolsOptions options) => options.TimeLimit + ToolPipeline.ToolAnswerGrace;

    public async Task<IReadOnlyList<Message>> ProcessAsync(Message call, CancellationToken cancellationToken)
    {
        var code = call.Text;
        if (code.Length > options.JavaScript.MaxCodeChars)
            return [ToolMessages.Reply(call, $"SyntaxError: the code is too long ({code.Length} characters; the limit is {options.JavaScript.MaxCodeChars}).")];
        var depth = NestingDepth.Of(code);
        if (depth > options.JavaScript.MaxParseDepth)
            return [ToolMessages.Reply(call, $"SyntaxError: the code nests brackets {depth} deep; the limit is {options.JavaScript.MaxParseDepth}.")];

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var session = _session ??= new JavaScriptSession(options);
            var run = session.Start(code);
            using var stop = cancellationToken.Register(session.Cancel);
            try
            {
                var text = await run.WaitAsync(Deadline(options), cancellationToken).ConfigureAwait(false);
                if (session.Cancelled) _session = null;
                if (session.AllocatedBytes > options.JavaScript.MaxSessionAllocatedBytes)
                {
                    _session = null;
                    text += $"\n[The interpreter has allocated more than {options.JavaScript.MaxSessionAllocatedBytes} bytes in this conversation and was restarted; its state was lost.]";
                }
                return [ToolMessages.Reply(call, text)];
            }
            catch (TimeoutException)
            {
                // The engine ignored its own limits (a long native call): abandon it; its thread ends when Jint next checks.
                session.Cancel();
                _session = null;
                return [ToolMessages.Reply(call, $"Execution timed out after {options.TimeLimit.TotalSeconds:0.#} seconds; the interpreter was restarted and its state was lost.")];
            }
            catch (OperationCanceledException)
            {
                _session = null;
                throw;
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose()
    {
        _session?.Cancel();
        _gate.Dispose();
    }
}
