using GptOss.Agents.Configuration;
using GptOss.Agents.Plugins;
using GptOss.Mcp;
using Microsoft.Extensions.Configuration;

namespace GptOss.Agents;

/// <summary>
/// Loads agent definitions from their sources: <c>*.yaml</c>/<c>*.yml</c> files of a folder, the
/// <c>Agents:Definitions</c> mapping of an appsettings.json file (with line numbers) or of an
/// <see cref="IConfiguration"/> (with configuration paths). Collects every error; names must be unique across sources.
/// The shared MCP servers (<c>Mcp:Servers</c>) that agents name must be added before those agents.
/// </summary>
public sealed class AgentDefinitionLoader(AgentPluginCatalog plugins)
{
    public const string SectionName = "Agents";
    public const string DefinitionsKey = "Definitions";

    private readonly Dictionary<string, McpServerDefinition> _mcpServers = new(StringComparer.Ordinal);
    private readonly List<AgentDefinition> _definitions = [];
    private readonly List<AgentConfigError> _errors = [];

    private AgentDefinitionReader Reader => field ??= new(plugins, _mcpServers);

    public IReadOnlyList<AgentConfigError> Errors => _errors;

    public IReadOnlyList<AgentDefinition> Definitions => _definitions;

    /// <summary>Every <c>*.yaml</c> and <c>*.yml</c> file of <paramref name="directory"/>, one agent per file.</summary>
    public AgentDefinitionLoader AddDirectory(string directory)
    {
        if (!Directory.Exists(directory))
        {
            _errors.Add(new(new SourceLocation(directory), "agents folder not found"));
            return this;
        }
        var files = Directory.EnumerateFiles(directory, "*.yaml")
            .Concat(Directory.EnumerateFiles(directory, "*.yml"))
            .Order(StringComparer.Ordinal);
        foreach (var file in files)
        {
            AddYamlFile(file);
        }
        return this;
    }

    public AgentDefinitionLoader AddYamlFile(string file)
    {
        if (YamlConfigReader.Read(File.ReadAllText(file), file, _errors) is { } node)
        {
            Add(Reader.Read(node, _errors));
        }
        return this;
    }

    /// <summary>The <c>Mcp:Servers</c> and then the <c>Agents:Definitions</c> sections of a JSON settings file, those it has.</summary>
    public AgentDefinitionLoader AddSettingsFile(string file)
    {
        if (JsonConfigReader.Read(File.ReadAllText(file), file, _errors) is not ConfigMap root) return this;
        if (root.Find(McpServerReader.SectionName)?.Value is { } mcp)
        {
            if (mcp is ConfigMap mcpMap) McpServerReader.ReadShared(mcpMap.Find(McpServerReader.ServersKey)?.Value, _mcpServers, _errors);
            else _errors.Add(new(mcp.Location, $"'{McpServerReader.SectionName}' must be a mapping, found {mcp.Describe()}"));
        }
        if (root.Find(SectionName)?.Value is not { } agents) return this;
        if (agents is not ConfigMap agentsMap)
        {
            _errors.Add(new(agents.Location, $"'{SectionName}' must be a mapping, found {agents.Describe()}"));
            return this;
        }
        AddDefinitionsMap(agentsMap.Find(DefinitionsKey)?.Value);
        return this;
    }

    /// <summary>The <c>Definitions</c> child of an <c>Agents</c> configuration section.</summary>
    public AgentDefinitionLoader AddConfiguration(IConfigurationSection agentsSection)
    {
        var definitions = agentsSection.GetSection(DefinitionsKey);
        if (definitions.Exists()) AddDefinitionsMap(ConfigurationSectionReader.Read(definitions));
        return this;
    }

    /// <summary>The <c>Servers</c> child of an <c>Mcp</c> configuration section: MCP servers agents may name.</summary>
    public AgentDefinitionLoader AddMcpConfiguration(IConfigurationSection mcpSection)
    {
        var servers = mcpSection.GetSection(McpServerReader.ServersKey);
        if (servers.Exists()) McpServerReader.ReadShared(ConfigurationSectionReader.Read(servers), _mcpServers, _errors);
        return this;
    }

    /// <summary>The catalog, or an <see cref="AgentConfigurationException"/> naming every error.</summary>
    public AgentCatalog BuildCatalog() =>
        _errors.Count == 0 ? new AgentCatalog(_definitions) : throw new AgentConfigurationException(_errors);

    private void AddDefinitionsMap(ConfigNode? node)
    {
        switch (node)
        {
            case null or ConfigScalar { Value: null }:
                return;
            case ConfigMap map:
                foreach (var entry in map.Entries)
                {
                    Add(Reader.Read(entry.Value, _errors, keyName: entry.Key));
                }
                return;
            default:
                _errors.Add(new(node.Location, $"'{DefinitionsKey}' must map agent names to definitions, found {node.Describe()}"));
                return;
        }
    }

    private void Add(AgentDefinition? definition)
    {
        if (definition is null) return;
        if (_definitions.FirstOrDefault(d => d.Name == definition.Name) is { } existing)
        {
            _errors.Add(new(definition.Source, $"agent '{definition.Name}' is already defined at {existing.Source}"));
            return;
        }
        _definitions.Add(definition);
    }
}
