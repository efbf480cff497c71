using Jint;
using Jint.Native;
using Jint.Native.Object;
using Jint.Runtime;

namespace GptOss.Tools.JavaScript;

/// <summary>One engine and its console; runs each call on a fresh large-stack thread.</summary>
internal sealed class JavaScriptSession
{
    // Jint's interpreter recurses per nesting level; 64 MB leaves room far beyond the recursion limits.
    private const int ThreadStackBytes = 64 << 20;

    private readonly CancellationTokenSource _cancel = new();
    private readonly Engine _engine;
    private readonly ConsoleCapture _console;
    private readonly long _memoryLimitBytes;

    public JavaScriptSession(ToolsOptions options)
    {
        var js = options.JavaScript;
        _memoryLimitBytes = options.MemoryLimitBytes;
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
            // Atomics.wait on a SharedArrayBuffer blocks in native code that no limit interrupts: refuse it, as browsers' main thread does.
            o.AgentCanSuspend = false;
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

    /// <summary>Bytes allocated by all calls so far (an upper bound of what the session holds).</summary>
    public long AllocatedBytes => Interlocked.Read(ref _allocated);

    private long _allocated;

    private string Run(string code)
    {
        var start = GC.GetAllocatedBytesForCurrentThread();
        try
        {
            return Evaluate(code);
        }
        finally
        {
            Interlocked.Add(ref _allocated, GC.GetAllocatedBytesForCurrentThread() - start);
        }
    }

    private string Evaluate(string code)
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

    private string Describe(Exception e) => e switch
    {
        JavaScriptException js => $"Uncaught {ErrorName(js)}: {js.Message} (line {js.Location.Start.Line})",
        MemoryLimitExceededException => $"Error: memory limit exceeded: this call allocated more than {_memoryLimitBytes >> 20} MB in all (every allocation counts, garbage included, not only what is still held); the statement was stopped.",
        StatementsCountOverflowException => "Error: too many statements executed; the limit was reached.",
        RecursionDepthOverflowException => "RangeError: maximum recursion depth exceeded.",
        TimeoutException => "Error: execution timed out.",
        ExecutionCanceledException => "Error: execution was cancelled.",
        OutOfMemoryException or InsufficientExecutionStackException => $"Error: {e.Message}",
        _ => $"{e.GetType().Name}: {e.Message}",
    };
}
