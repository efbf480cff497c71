using GptOss.Tools.Browser;
using GptOss.Tools.Browser.Corpus;
using GptOss.Tools.Browser.Web;
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
/// executor: the concurrency limit, the python sandbox check (kept once passed), the corpus index and the HTTP client.
/// </summary>
public sealed class ToolExecutorFactory : IToolExecutorFactory, IDisposable
{
    private readonly ToolsOptions _options;
    private readonly SemaphoreSlim _concurrency;
    private readonly PythonAvailability _pythonAvailability;
    private readonly Lazy<CorpusIndex>? _corpus;
    private readonly HttpClient? _http;

    public ToolExecutorFactory(ToolsOptions options)
    {
        _options = options;
        _concurrency = new SemaphoreSlim(Math.Max(1, options.MaxConcurrentCalls));
        _pythonAvailability = new PythonAvailability(() => PythonSandboxCheck.WhyUnavailable(new PythonSandbox(options), options), options.Python.AvailabilityRecheckInterval);
        var browser = options.Browser;
        if (browser.CorpusDirectory is { Length: > 0 } corpus)
            _corpus = new Lazy<CorpusIndex>(() => CorpusIndex.Build(corpus, browser.MaxDocumentBytes));
        if (browser.Http.Enabled) _http = HttpBackend.CreateClient(options.TimeLimit);
    }

    /// <summary>Builds the corpus index now rather than on the first search (it is built once, for every executor).</summary>
    public int WarmUpCorpus() => _corpus?.Value.Count ?? 0;

    public ToolExecutor Create()
    {
        var tools = new List<IHarmonyTool>();
        var unavailable = new Dictionary<string, string>(StringComparer.Ordinal);
        if (_options.JavaScript.Enabled) tools.Add(new JavaScriptTool(_options));
        if (_options.Python.Enabled)
        {
            if (_pythonAvailability.WhyUnavailable() is { } reason) unavailable["python"] = reason;
            else tools.Add(new PythonTool(_options, new PythonSandbox(_options)));
        }
        if (_options.Browser.Enabled)
        {
            if (BrowserBackends() is { Count: > 0 } backends) tools.Add(new BrowserTool(backends, _options));
            else unavailable["browser"] = BrowserUnavailable();
        }
        return new ToolExecutor(tools, unavailable, _options, _concurrency);
    }

    private List<IBrowserBackend> BrowserBackends()
    {
        var backends = new List<IBrowserBackend>();
        if (_corpus is not null && Directory.Exists(_options.Browser.CorpusDirectory))
            backends.Add(new CorpusBackend(_corpus, _options.Browser.MaxDocumentBytes));
        if (_http is not null) backends.Add(new HttpBackend(_http, _options.Browser.Http));
        return backends;
    }

    private string BrowserUnavailable() => _options.Browser.CorpusDirectory is { Length: > 0 } dir
        ? $"the corpus folder {dir} does not exist and the web source is off"
        : "no corpus folder is configured (Tools:Browser:CorpusDirectory) and the web source is off (Tools:Browser:Http:Enabled)";

    public void Dispose()
    {
        _concurrency.Dispose();
        _http?.Dispose();
    }
}
