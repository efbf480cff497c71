using GptOss.Agents.Configuration;
using GptOss.Mcp;
using static GptOss.Agents.AgentDefinitionReader;

namespace GptOss.Agents;

/// <summary>
/// Reads MCP server definitions: the shared <c>Mcp:Servers</c> mapping of the settings, and an agent's <c>mcp:</c>
/// list, whose entries name a shared server or define one inline. Every problem is an <see cref="AgentConfigError"/>
/// at its node.
/// </summary>
/// <remarks>
/// <code>
/// name: notes                        # letters, digits, '-', '_' (optional under Mcp:Servers: the key names it)
/// command: node                      # stdio: the program, args, env, cwd, inherit_env (default false)
/// args: [server.js]
/// env: { NOTES_DIR: /data }
/// url: http://localhost:3001/mcp     # or streamable HTTP: url and headers
/// headers: { Authorization: Bearer ... }
/// </code>
/// </remarks>
internal static class McpServerReader
{
    public const string SectionName = "Mcp";
    public const string ServersKey = "Servers";

    private static readonly string[] StdioKeys = ["command", "args", "env", "cwd", "inherit_env"];
    private static readonly string[] HttpKeys = ["url", "headers"];
    private static readonly string[] Keys = ["name", .. StdioKeys, .. HttpKeys];

    /// <summary>The <c>Servers</c> mapping of the <c>Mcp</c> section, added to <paramref name="servers"/> by name.</summary>
    public static void ReadShared(ConfigNode? node, Dictionary<string, McpServerDefinition> servers, List<AgentConfigError> errors)
    {
        switch (node)
        {
            case null or ConfigScalar { Value: null }:
                return;
            case ConfigMap map:
                foreach (var entry in map.Entries)
                {
                    if (Read(entry.Value, entry.Key, errors) is not { } server) continue;
                    if (!servers.TryAdd(server.Name, server))
                        errors.Add(new(entry.KeyLocation, $"MCP server '{server.Name}' is defined twice"));
                }
                return;
            default:
                errors.Add(new(node.Location, $"'{SectionName}:{ServersKey}' must map server names to servers, found {node.Describe()}"));
                return;
        }
    }

    /// <summary>An agent's <c>mcp:</c> list: names of shared servers or inline servers, each name once.</summary>
    public static IReadOnlyList<McpServerDefinition> ReadAgentEntries(
        ConfigMap agent, IReadOnlyDictionary<string, McpServerDefinition> shared, List<AgentConfigError> errors)
    {
        var entry = agent.Find("mcp");
        if (entry is null || entry.Value is ConfigScalar { Value: null }) return [];
        if (entry.Value is not ConfigList list)
        {
            errors.Add(new(entry.Value.Location, $"'mcp' must be a list of servers, found {entry.Value.Describe()}"));
            return [];
        }
        var servers = new List<McpServerDefinition>();
        foreach (var item in list.Items)
        {
            var server = item switch
            {
                ConfigScalar { Value: { } name } => Shared(name, item, shared, errors),
                ConfigMap => Read(item, null, errors),
                _ => Invalid(item, errors),
            };
            if (server is null) continue;
            if (servers.Any(s => s.Name == server.Name))
            {
                errors.Add(new(item.Location, $"MCP server '{server.Name}' is listed twice"));
                continue;
            }
            servers.Add(server);
        }
        return servers;
    }

    private static McpServerDefinition? Shared(
        string name, ConfigNode node, IReadOnlyDictionary<string, McpServerDefinition> shared, List<AgentConfigError> errors)
    {
        if (shared.TryGetValue(name, out var server)) return server;
        var known = shared.Count == 0 ? "none are defined" : $"defined: {string.Join(", ", shared.Keys.Order(StringComparer.Ordinal))}";
        errors.Add(new(node.Location, $"unknown MCP server '{name}': name one of '{SectionName}:{ServersKey}' in appsettings.json ({known}) or define it here with command or url"));
        return null;
    }

    private static McpServerDefinition? Invalid(ConfigNode node, List<AgentConfigError> errors)
    {
        errors.Add(new(node.Location, $"an 'mcp' entry must be a server name or a mapping (name with command or url), found {node.Describe()}"));
        return null;
    }

    /// <summary>One server; <paramref name="keyName"/> is the name given by an enclosing mapping, which makes <c>name</c> optional.</summary>
    private static McpServerDefinition? Read(ConfigNode node, string? keyName, List<AgentConfigError> errors)
    {
        if (node is not ConfigMap map)
        {
            errors.Add(new(node.Location, $"an MCP server must be a mapping (command or url), found {node.Describe()}"));
            return null;
        }
        var before = errors.Count;
        CheckKeys(map, Keys, "MCP server", errors);
        var name = keyName ?? RequiredString(map, "name", errors);
        if (keyName is not null && OptionalString(map, "name", errors) is { } named && named != keyName)
            errors.Add(new(map.Find("name")!.Value.Location, $"'name' is '{named}' but the MCP server is keyed '{keyName}'"));
        if (name is not null && !NamePattern().IsMatch(name))
            errors.Add(new(map.Location, $"invalid MCP server name '{name}': use letters, digits, '-' and '_' (its tools are named functions.{{server}}_{{tool}})"));

        var command = OptionalString(map, "command", errors);
        var url = OptionalString(map, "url", errors);
        Uri? endpoint = null;
        if ((command is null) == (url is null))
        {
            errors.Add(new(map.Location, $"MCP server '{name}' needs either 'command' (stdio) or 'url' (streamable HTTP){(command is null ? "" : ", not both")}"));
        }
        else if (url is not null)
        {
            if (Uri.TryCreate(url, UriKind.Absolute, out var parsed) && parsed.Scheme is "http" or "https") endpoint = parsed;
            else errors.Add(new(map.Find("url")!.Value.Location, $"'url' must be an absolute http or https URL, found '{url}'"));
            foreach (var key in StdioKeys.Where(k => map.Find(k) is not null))
                errors.Add(new(map.Find(key)!.KeyLocation, $"'{key}' is for a stdio server (command), not one reached by url"));
        }
        else
        {
            foreach (var key in HttpKeys.Where(k => map.Find(k) is not null))
                errors.Add(new(map.Find(key)!.KeyLocation, $"'{key}' is for a server reached by url, not a stdio server (command)"));
        }

        var server = new McpServerDefinition
        {
            Name = name ?? "",
            Command = command,
            Arguments = StringList(map, "args", errors),
            Environment = StringMap(map, "env", errors),
            WorkingDirectory = OptionalString(map, "cwd", errors),
            InheritEnvironment = OptionalBool(map, "inherit_env", errors) ?? false,
            Url = endpoint,
            Headers = StringMap(map, "headers", errors),
        };
        return errors.Count == before ? server : null;
    }

    private static List<string> StringList(ConfigMap map, string key, List<AgentConfigError> errors)
    {
        if (map.Find(key) is not { } entry || entry.Value is ConfigScalar { Value: null }) return [];
        if (entry.Value is not ConfigList list)
        {
            errors.Add(new(entry.Value.Location, $"'{key}' must be a list of strings, found {entry.Value.Describe()}"));
            return [];
        }
        var items = new List<string>();
        foreach (var item in list.Items)
        {
            if (item is ConfigScalar { Value: { } value }) items.Add(value);
            else errors.Add(new(item.Location, $"'{key}' must be a list of strings, found {item.Describe()} in it"));
        }
        return items;
    }

    private static Dictionary<string, string> StringMap(ConfigMap map, string key, List<AgentConfigError> errors)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (map.Find(key) is not { } entry || entry.Value is ConfigScalar { Value: null }) return result;
        if (entry.Value is not ConfigMap values)
        {
            errors.Add(new(entry.Value.Location, $"'{key}' must map names to strings, found {entry.Value.Describe()}"));
            return result;
        }
        foreach (var item in values.Entries)
        {
            // Names are kept as written: environment variables and headers are not configuration keys.
            if (item.Value is ConfigScalar { Value: { } value }) result[item.Key] = value;
            else errors.Add(new(item.Value.Location, $"'{key}.{item.Key}' must be a string, found {item.Value.Describe()}"));
        }
        return result;
    }

    private static bool? OptionalBool(ConfigMap map, string key, List<AgentConfigError> errors)
    {
        if (map.Find(key) is not { } entry || entry.Value is ConfigScalar { Value: null }) return null;
        if (entry.Value is ConfigScalar { Value: { } text } && bool.TryParse(text, out var value)) return value;
        errors.Add(new(entry.Value.Location, $"'{key}' must be true or false, found {entry.Value.Describe()}"));
        return null;
    }
}
