using GptOss.Harmony;
using Jint;
using Jint.Native;
using Jint.Native.Object;
using Jint.Runtime;

namespace GptOss.Tools.JavaScript;

/// <summary>
/// The <c>javascript</c> tool: a Jint engine per conversation, so variables survive between calls.
/// Jint runs with no CLR access and with statement, recursion, memory, array and time limits. Those limits are
/// cooperative, so each call also runs on its own large-stack thread under an outer deadline: an engine that does
/// not stop in time is abandoned and the next call starts a fresh one.
/// </summary>
internal sealed class JavaScriptTool(ToolsOptions options) : IHarmonyTool, IDisposable
{
    // Jint's interpreter recurses per nesting level; 64 MB leaves room far beyond the recursion limits.
    private const int ThreadStackBytes = 64 << 20;
    private static readonly TimeSpan DeadlineGrace = TimeSpan.FromSeconds(2);

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
                var text = await run.WaitAsync(options.TimeLimit + DeadlineGrace, cancellationToken).ConfigureAwait(false);
                if (session.Cancelled) _session = null;
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

    /// <summary>One engine and its console; runs each call on a fresh large-stack thread.</summary>
    private sealed class JavaScriptSession
    {
        private readonly CancellationTokenSource _cancel = new();
        private readonly Engine _engine;
        private readonly ConsoleCapture _console;

        public JavaScriptSession(ToolsOptions options)
        {
            var js = options.JavaScript;
            _engine = new Engine(o =>
            {
                o.Interop.Enabled = false;
                o.Interop.AllowGetType = false;
                o.Interop.AllowSystemReflection = false;
                o.DisableStringCompilation();
                o.LimitMemory(options.MemoryLimitBytes);
                o.MaxStatements(js.MaxStatements);
                o.LimitRecursion(js.MaxRecursionDepth);
                o.TimeoutInterval(options.TimeLimit);
                o.CancellationToken(_cancel.Token);
                o.Constraints.MaxArraySize = js.MaxArraySize;
                o.Constraints.StackOverflowGuard = true;
                o.Constraints.RegexTimeout = options.TimeLimit;
            });
            // Room is left under the executor's cut for the note on dropped output.
            _console = new ConsoleCapture(_engine, Math.Max(0, options.MaxOutputChars - 200));
            _engine.SetValue("console", _console.CreateObject());
        }

        public bool Cancelled => _cancel.IsCancellationRequested;

        public void Cancel() => _cancel.Cancel();

        public Task<string> Start(string code)
        {
            var result = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            var thread = new Thread(() => result.TrySetResult(Run(code)), ThreadStackBytes)
            {
                IsBackground = true,
                Name = "javascript tool",
            };
            thread.Start();
            return result.Task;
        }

        private string Run(string code)
        {
            _console.Clear();
            string? value = null;
            string? error = null;
            try
            {
                var completion = _engine.Evaluate(code);
                if (!completion.IsUndefined()) value = _console.Render(completion, quoteStrings: true);
            }
            catch (Exception e)
            {
                error = Describe(e);
            }
            return _console.Output(value, error);
        }

        private static string ErrorName(JavaScriptException e)
        {
            try
            {
                return e.Error is ObjectInstance error && error.Get("name") is { } name && name.IsString() ? name.AsString() : "Error";
            }
            catch (Exception)
            {
                return "Error"; // a hostile getter on the thrown value
            }
        }

        private static string Describe(Exception e) => e switch
        {
            JavaScriptException js => $"Uncaught {ErrorName(js)}: {js.Message} (line {js.Location.Start.Line})",
            MemoryLimitExceededException => "Error: memory limit exceeded; the statement was stopped.",
            StatementsCountOverflowException => "Error: too many statements executed; the limit was reached.",
            RecursionDepthOverflowException => "RangeError: maximum recursion depth exceeded.",
            TimeoutException => "Error: execution timed out.",
            ExecutionCanceledException => "Error: execution was cancelled.",
            OutOfMemoryException or InsufficientExecutionStackException => $"Error: {e.Message}",
            _ => $"{e.GetType().Name}: {e.Message}",
        };
    }
}
