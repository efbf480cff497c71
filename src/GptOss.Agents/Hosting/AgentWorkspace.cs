using GptOss.Agents.Plugins;
using GptOss.Tools;
using Microsoft.Extensions.Configuration;

namespace GptOss.Agents;

/// <summary>
/// Where a command-line host finds its configuration and agents: an explicit settings file, else
/// <c>appsettings.json</c> in the current folder, else beside the binary; an explicit agents folder, else the
/// settings' <c>Agents:Directory</c> (default <c>agents</c>) relative to the settings file's folder, the current
/// folder or the binary's folder (the first that exists).
/// </summary>
public sealed class AgentWorkspace
{
    public const string SettingsFileName = "appsettings.json";

    private AgentWorkspace(string? settingsFile, string? agentsDirectory, IConfiguration configuration)
    {
        SettingsFile = settingsFile;
        AgentsDirectory = agentsDirectory;
        Configuration = configuration;
    }

    /// <summary>The settings file in use, or null when none was found.</summary>
    public string? SettingsFile { get; }

    /// <summary>The folder of agent files in use, or null when none was found.</summary>
    public string? AgentsDirectory { get; }

    public IConfiguration Configuration { get; }

    /// <summary>Finds the settings file and agents folder; an explicit path that does not exist is an error.</summary>
    public static AgentWorkspace Discover(string? settingsFile = null, string? agentsDirectory = null)
    {
        if (settingsFile is not null && !File.Exists(settingsFile))
            throw new FileNotFoundException($"settings file not found: {settingsFile}", settingsFile);
        if (agentsDirectory is not null && !Directory.Exists(agentsDirectory))
            throw new DirectoryNotFoundException($"agents folder not found: {agentsDirectory}");

        settingsFile ??= new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory }
            .Select(dir => Path.Combine(dir, SettingsFileName))
            .FirstOrDefault(File.Exists);
        settingsFile = settingsFile is null ? null : Path.GetFullPath(settingsFile);

        var builder = new ConfigurationBuilder();
        if (settingsFile is not null) builder.AddJsonFile(settingsFile, optional: false);
        var configuration = builder.Build();

        agentsDirectory ??= FindAgentsDirectory(configuration, settingsFile);
        return new AgentWorkspace(settingsFile, agentsDirectory is null ? null : Path.GetFullPath(agentsDirectory), configuration);
    }

    /// <summary>
    /// Reads every agent (the settings' <c>Mcp:Servers</c> and <c>Agents:Definitions</c>, then the folder's files, which
    /// may name those servers), with file and line for each error.
    /// </summary>
    public AgentDefinitionLoader LoadAgents(AgentPluginCatalog plugins)
    {
        var loader = new AgentDefinitionLoader(plugins);
        if (SettingsFile is not null) loader.AddSettingsFile(SettingsFile);
        if (AgentsDirectory is not null) loader.AddDirectory(AgentsDirectory);
        return loader;
    }

    /// <summary>The <c>Tools</c> section; a relative browser corpus folder resolves against the settings file's folder.</summary>
    public ToolsOptions ToolsOptions()
    {
        var options = new ToolsOptions();
        Configuration.GetSection(GptOss.Tools.ToolsOptions.SectionName).Bind(options);
        if (options.Browser.CorpusDirectory is { Length: > 0 } corpus) options.Browser.CorpusDirectory = ResolvePath(corpus);
        return options;
    }

    /// <summary>A path from the settings, relative to the settings file's folder (else the current folder).</summary>
    public string ResolvePath(string path) =>
        Path.IsPathRooted(path) || SettingsFile is null ? path : Path.Combine(Path.GetDirectoryName(SettingsFile)!, path);

    private static string? FindAgentsDirectory(IConfiguration configuration, string? settingsFile)
    {
        var options = new AgentsOptions();
        configuration.GetSection(AgentDefinitionLoader.SectionName).Bind(options);
        return options.ResolveDirectory(Path.GetDirectoryName(settingsFile));
    }
}
