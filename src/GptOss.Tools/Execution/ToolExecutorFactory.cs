using GptOss.Tools.JavaScript;
using GptOss.Tools.Python;

namespace GptOss.Tools;

/// <summary>Creates one <see cref="ToolExecutor"/> per conversation.</summary>
public interface IToolExecutorFactory
{
    ToolExecutor Create();
}

/// <summary>
/// Builds executors from <see cref="ToolsOptions"/>. What is costly or global lives here and is shared by every
/// executor: the concurrency limit, the python sandbox check (done once), the corpus index and the HTTP client.
/// </summary>
public sealed class ToolExecutorFactory : IToolExecutorFactory, IDisposable
{
    private readonly ToolsOptions _options;
    private readonly SemaphoreSlim _concurrency;
    private readonly Lazy<string?> _pythonUnavailable;

    public ToolExecutorFactory(ToolsOptions options)
    {
        _options = options;
        _concurrency = new SemaphoreSlim(Math.Max(1, options.MaxConcurrentCalls));
        _pythonUnavailable = new Lazy<string?>(() => PythonSandboxCheck.WhyUnavailable(new PythonSandbox(options), options));
    }

    public ToolExecutor Create()
    {
        var tools = new List<IHarmonyTool>();
        var unavailable = new Dictionary<string, string>(StringComparer.Ordinal);
        if (_options.JavaScript.Enabled) tools.Add(new JavaScriptTool(_options));
        if (_options.Python.Enabled)
        {
            if (_pythonUnavailable.Value is { } reason) unavailable["python"] = reason;
            else tools.Add(new PythonTool(_options, new PythonSandbox(_options)));
        }
        return new ToolExecutor(tools, unavailable, _options, _concurrency);
    }

    public void Dispose() => _concurrency.Dispose();
}
