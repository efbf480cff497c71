using System.CommandLine;
using GptOss.Agents;
using GptOss.Agents.Plugins;
using GptOss.Engine;
using GptOss.Generation;
using GptOss.Hub;
using GptOss.SemanticKernel;
using GptOss.Tools;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace GptOss.Cli.Hosting;

/// <summary>
/// What every command that runs the model composes, built one way: the settings file (<c>--config</c>, else
/// <c>./appsettings.json</c>, else beside the binary), the flags laid over it as configuration keys, and the services
/// of the libraries registered by their own extension methods. The model loads on first use.
/// </summary>
internal sealed class CliHost : IDisposable
{
    private readonly ServiceProvider _services;

    private CliHost(AgentWorkspace workspace, ServiceProvider services, string backendName)
    {
        Workspace = workspace;
        _services = services;
        BackendName = backendName;
    }

    /// <summary>Who runs the model: a backend kind (<c>Local</c>, <c>Vllm</c>, …) or <c>Script</c>.</summary>
    public string BackendName { get; }

    public AgentWorkspace Workspace { get; }

    /// <summary>The chat defaults (<c>GptOss</c> section).</summary>
    public GptOssOptions ChatOptions => _services.GetRequiredService<IOptions<GptOssOptions>>().Value;

    /// <summary>The model: the backend <c>GptOss:Backend:Kind</c> names, or the script of <c>--script</c>; loaded on first use.</summary>
    public ITokenGenerator Generator
    {
        get
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var generator = _services.GetRequiredService<ITokenGenerator>();
            LoadTime ??= clock.Elapsed;
            return generator;
        }
    }

    /// <summary>How long the first use of <see cref="Generator"/> took (loading the model), once it happened.</summary>
    public TimeSpan? LoadTime { get; private set; }

    public HarmonyChatPipeline Pipeline => _services.GetRequiredService<HarmonyChatPipeline>();

    /// <summary>The chat client that returns function calls to its caller (a server's clients run their own) and runs hosted tools itself.</summary>
    public IChatClient CreateChatClient() =>
        new GptOssChatClient(Pipeline, ChatOptions, hostedTools: _services.GetRequiredService<IToolExecutorFactory>());

    /// <summary>Every agent of the settings and the agents folder; a bad one throws with each error's location.</summary>
    public AgentCatalog LoadAgents() => Workspace.LoadAgents(AgentPluginCatalog.Default).BuildCatalog();

    public AgentRunner CreateRunner() =>
        new(Generator, AgentPluginCatalog.Default, _services.GetRequiredService<IToolExecutorFactory>(), toolsOptions: Workspace.ToolsOptions());

    public static CliHost Open(ParseResult r)
    {
        var workspace = AgentWorkspace.Discover(r.GetValue(HostFlags.Config), r.GetValue(HostFlags.Agents));
        var configuration = new ConfigurationBuilder()
            .AddConfiguration(workspace.Configuration)
            .AddInMemoryCollection(Overrides(r, workspace))
            .Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration);
        if (r.GetValue(HostFlags.Script) is { } script) services.AddSingleton<ITokenGenerator>(HarmonyScriptFile.Load(script));
        services.AddGptOssOptions<GptOssOptions>(GptOssOptions.SectionName);
        services.AddGptOssGenerator().AddGptOssEngine().AddGptOssRemoteBackends();
        services.AddSingleton<IToolExecutorFactory>(_ => new ToolExecutorFactory(workspace.ToolsOptions()));
        var backend = r.GetValue(HostFlags.Script) is not null ? "Script"
            : BackendKinds.Normalize(configuration[KindKey] ?? BackendKinds.Local);
        return new CliHost(workspace, services.BuildServiceProvider(), backend);
    }

    private const string ModelDirectoryKey = $"{LocalModelOptions.SectionName}:{nameof(LocalModelOptions.ModelDirectory)}";
    private const string ParallelKey = $"{LocalModelOptions.SectionName}:{nameof(LocalModelOptions.ParallelSequences)}";
    private const string KindKey = $"{GenerationBackendOptions.SectionName}:{nameof(GenerationBackendOptions.Kind)}";
    private const string EndpointKey = $"{GenerationBackendOptions.SectionName}:{nameof(GenerationBackendOptions.Endpoint)}";
    private const string BackendModelKey = $"{GenerationBackendOptions.SectionName}:{nameof(GenerationBackendOptions.Model)}";

    /// <summary>The flags as configuration keys; a settings path is relative to the settings file, a flag's to the current folder.</summary>
    private static Dictionary<string, string?> Overrides(ParseResult r, AgentWorkspace workspace)
    {
        var (model, script, backend) = (r.GetValue(HostFlags.Model), r.GetValue(HostFlags.Script), r.GetValue(HostFlags.Backend));
        if (model is not null && script is not null) throw new ArgumentException("give either --model or --script, not both");
        if (model is not null && backend is not null && BackendKinds.Normalize(backend) != BackendKinds.Local)
            throw new ArgumentException($"--model runs a checkpoint in-process; it does not go with --backend {backend}");
        var keys = new Dictionary<string, string?>();
        if (model is not null)
        {
            keys[ModelDirectoryKey] = Path.GetFullPath(HubCache.Resolve(model));
            keys[KindKey] = BackendKinds.Local;
        }
        else if (workspace.Configuration[ModelDirectoryKey] is { Length: > 0 } configured)
        {
            // A folder beside the settings file, else a pulled org/name[@rev].
            var folder = workspace.ResolvePath(configured);
            keys[ModelDirectoryKey] = Directory.Exists(folder) || RepoReference.TryParse(configured) is null ? folder : HubCache.Resolve(configured);
        }
        if (backend is not null) keys[KindKey] = BackendKinds.Normalize(backend);
        if (r.GetValue(HostFlags.Endpoint) is { } endpoint) keys[EndpointKey] = endpoint;
        if (r.GetValue(HostFlags.BackendModel) is { } name) keys[BackendModelKey] = name;
        if (r.GetValue(HostFlags.Parallel) is { } parallel)
            keys[ParallelKey] = parallel >= 1 ? parallel.ToString(System.Globalization.CultureInfo.InvariantCulture)
                : throw new ArgumentException($"--parallel must be at least 1 (got {parallel})");
        return keys;
    }

    public void Dispose() => _services.Dispose();
}
