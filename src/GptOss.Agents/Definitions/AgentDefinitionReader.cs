using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using GptOss.Agents.Configuration;
using GptOss.Agents.Plugins;
using GptOss.Harmony;
using GptOss.Mcp;

namespace GptOss.Agents;

/// <summary>
/// Validates one agent definition (a <see cref="ConfigMap"/> from YAML, JSON or IConfiguration) and builds an
/// <see cref="AgentDefinition"/>. Every problem (unknown key, missing field, bad type or value, unknown tool)
/// becomes an <see cref="AgentConfigError"/> at the offending node; reading goes on, so one pass reports all of them.
/// </summary>
/// <remarks>
/// Schema (keys: snake_case or PascalCase):
/// <code>
/// name: researcher                  # required; letters, digits, '-', '_'
/// description: ...
/// instructions: ...                 # required
/// reasoning_effort: low|medium|high # default medium
/// model: { temperature, top_p, max_tokens, seed }
/// tools: [browser, python, javascript, Plugin, Plugin.function, {id: ..., type: function|builtin}]
/// mcp: [server-of-Mcp:Servers, {name, command, args, env, cwd, inherit_env} | {name, url, headers}]
/// max_steps: 10
/// output: text | json | { format: json, schema: {...} }   # the schema is enforced while the answer is generated
/// tool_choice: auto | none | required | Plugin.function    # default auto; a requirement holds for the first step
/// </code>
/// </remarks>
public sealed partial class AgentDefinitionReader(AgentPluginCatalog plugins, IReadOnlyDictionary<string, McpServerDefinition> sharedMcpServers)
{
    private static readonly string[] TopLevelKeys =
        ["name", "description", "instructions", "reasoning_effort", "model", "tools", "mcp", "max_steps", "output", "tool_choice"];
    private static readonly string[] ModelKeys = ["temperature", "top_p", "max_tokens", "seed"];
    private static readonly string[] OutputKeys = ["format", "schema"];
    private static readonly string[] ToolKeys = ["id", "type"];

    /// <summary>
    /// Reads a definition; <paramref name="keyName"/> is the name given by an enclosing mapping
    /// (appsettings' <c>Definitions: { name: {...} }</c>), which makes <c>name</c> optional.
    /// Returns null when any error was added.
    /// </summary>
    public AgentDefinition? Read(ConfigNode node, List<AgentConfigError> errors, string? keyName = null)
    {
        if (node is not ConfigMap map)
        {
            errors.Add(new(node.Location, $"an agent definition must be a mapping, found {node.Describe()}"));
            return null;
        }
        var before = errors.Count;
        CheckKeys(map, TopLevelKeys, "agent", errors);

        var name = ReadName(map, keyName, errors);
        var instructions = RequiredString(map, "instructions", errors);
        var tools = ReadTools(map, errors);
        var definition = new AgentDefinition
        {
            Name = name ?? "",
            Instructions = instructions ?? "",
            Description = OptionalString(map, "description", errors),
            ReasoningEffort = ReadEffort(map, errors),
            Model = ReadModel(map, errors),
            Tools = tools,
            McpServers = McpServerReader.ReadAgentEntries(map, sharedMcpServers, errors),
            MaxSteps = OptionalInt(map, "max_steps", 1, 1000, errors) ?? AgentDefinition.DefaultMaxSteps,
            Output = ReadOutput(map, errors),
            ToolChoice = ReadToolChoice(map, tools, errors),
            Source = map.Location,
        };
        return errors.Count == before ? definition : null;
    }

    private static string? ReadName(ConfigMap map, string? keyName, List<AgentConfigError> errors)
    {
        var entry = map.Find("name");
        if (entry is null)
        {
            if (keyName is null) errors.Add(new(map.Location, "missing required field 'name'"));
            else if (!NamePattern().IsMatch(keyName)) errors.Add(new(map.Location, NameError(keyName)));
            return keyName;
        }
        var name = AsString(entry, errors);
        if (name is null) return null;
        if (!NamePattern().IsMatch(name))
        {
            errors.Add(new(entry.Value.Location, NameError(name)));
        }
        else if (keyName is not null && name != keyName)
        {
            errors.Add(new(entry.Value.Location, $"'name' is '{name}' but the agent is keyed '{keyName}'"));
        }
        return name;
    }

    private static string NameError(string name) =>
        $"invalid agent name '{name}': use letters, digits, '-' and '_' (it is typed on the command line)";

    private static ReasoningEffort ReadEffort(ConfigMap map, List<AgentConfigError> errors)
    {
        var text = OptionalString(map, "reasoning_effort", errors);
        if (text is null) return ReasoningEffort.Medium;
        if (Enum.TryParse<ReasoningEffort>(text, ignoreCase: true, out var effort) && !int.TryParse(text, out _)) return effort;
        errors.Add(new(map.Find("reasoning_effort")!.Value.Location, $"'reasoning_effort' must be low, medium or high, found '{text}'"));
        return ReasoningEffort.Medium;
    }

    private static AgentModelSettings ReadModel(ConfigMap map, List<AgentConfigError> errors)
    {
        var entry = map.Find("model");
        if (entry is null || entry.Value is ConfigScalar { Value: null }) return new();
        if (entry.Value is not ConfigMap model)
        {
            errors.Add(new(entry.Value.Location, $"'model' must be a mapping (temperature, top_p, max_tokens, seed), found {entry.Value.Describe()}"));
            return new();
        }
        CheckKeys(model, ModelKeys, "model", errors);
        return new AgentModelSettings
        {
            Temperature = (float?)OptionalNumber(model, "temperature", 0, 2, errors),
            TopP = (float?)OptionalNumber(model, "top_p", double.Epsilon, 1, errors),
            MaxTokens = OptionalInt(model, "max_tokens", 1, 1_000_000, errors),
            Seed = OptionalInt(model, "seed", long.MinValue, long.MaxValue, errors),
        };
    }

    private IReadOnlyList<AgentToolReference> ReadTools(ConfigMap map, List<AgentConfigError> errors)
    {
        var entry = map.Find("tools");
        if (entry is null || entry.Value is ConfigScalar { Value: null }) return [];
        if (entry.Value is not ConfigList list)
        {
            errors.Add(new(entry.Value.Location, $"'tools' must be a list, found {entry.Value.Describe()}"));
            return [];
        }
        var tools = new List<AgentToolReference>();
        foreach (var item in list.Items)
        {
            var tool = ReadTool(item, errors);
            if (tool is null) continue;
            if (tools.Any(t => t.ToString() == tool.ToString() && t.GetType() == tool.GetType()))
            {
                errors.Add(new(item.Location, $"tool '{Display(tool)}' is listed twice"));
                continue;
            }
            tools.Add(tool);
        }
        return tools;
    }

    private AgentToolReference? ReadTool(ConfigNode node, List<AgentConfigError> errors)
    {
        string? id;
        string? type = null;
        switch (node)
        {
            case ConfigScalar { Value: { } value }:
                id = value;
                break;
            case ConfigMap toolMap:
                CheckKeys(toolMap, ToolKeys, "tool", errors);
                id = RequiredString(toolMap, "id", errors);
                type = OptionalString(toolMap, "type", errors)?.ToLowerInvariant();
                if (type is not (null or "function" or "builtin"))
                {
                    errors.Add(new(toolMap.Find("type")!.Value.Location, $"tool 'type' must be function or builtin, found '{type}'"));
                    return null;
                }
                if (id is null) return null;
                break;
            default:
                errors.Add(new(node.Location, $"a tool must be a name (browser, python, javascript, Plugin or Plugin.function) or a mapping {{id, type}}, found {node.Describe()}"));
                return null;
        }

        if (type != "function" && BuiltinToolReference.Names.Contains(id))
        {
            return new BuiltinToolReference(id, node.Location);
        }
        if (type == "builtin")
        {
            errors.Add(new(node.Location, $"unknown builtin tool '{id}': expected one of {string.Join(", ", BuiltinToolReference.Names)}"));
            return null;
        }
        var dot = id.IndexOf('.', StringComparison.Ordinal);
        var pluginName = dot < 0 ? id : id[..dot];
        var functionName = dot < 0 ? null : id[(dot + 1)..];
        var plugin = plugins.Describe(pluginName);
        if (plugin is null)
        {
            errors.Add(new(node.Location, $"unknown tool '{id}': expected a builtin tool ({string.Join(", ", BuiltinToolReference.Names)}) or a kernel plugin ({string.Join(", ", plugins.Names)}), optionally as Plugin.function"));
            return null;
        }
        if (functionName is not null && !plugin.TryGetFunction(functionName, out _))
        {
            errors.Add(new(node.Location, $"unknown function '{functionName}' in plugin '{pluginName}': it has {string.Join(", ", plugin.Select(f => f.Name))}"));
            return null;
        }
        return new FunctionToolReference(pluginName, functionName, node.Location);
    }

    private static string Display(AgentToolReference tool) => tool switch
    {
        BuiltinToolReference b => b.Name,
        _ => tool.ToString()!,
    };

    private static AgentOutputFormat ReadOutput(ConfigMap map, List<AgentConfigError> errors)
    {
        var entry = map.Find("output");
        if (entry is null || entry.Value is ConfigScalar { Value: null }) return AgentOutputFormat.Text;
        string? format;
        ConfigEntry? schemaEntry = null;
        switch (entry.Value)
        {
            case ConfigScalar scalar:
                format = scalar.Value;
                break;
            case ConfigMap output:
                CheckKeys(output, OutputKeys, "output", errors);
                format = OptionalString(output, "format", errors) ?? "text";
                schemaEntry = output.Find("schema");
                break;
            default:
                errors.Add(new(entry.Value.Location, $"'output' must be text, json or a mapping {{format, schema}}, found {entry.Value.Describe()}"));
                return AgentOutputFormat.Text;
        }
        var kind = format?.ToLowerInvariant() switch
        {
            "text" => AgentOutputKind.Text,
            "json" => AgentOutputKind.Json,
            _ => (AgentOutputKind?)null,
        };
        if (kind is null)
        {
            errors.Add(new(entry.Value.Location, $"output format must be text or json, found '{format}'"));
            return AgentOutputFormat.Text;
        }
        if (schemaEntry is null) return new AgentOutputFormat(kind.Value);
        if (kind != AgentOutputKind.Json)
        {
            errors.Add(new(schemaEntry.KeyLocation, "an output 'schema' needs 'format: json'"));
            return AgentOutputFormat.Text;
        }
        if (schemaEntry.Value is not ConfigMap schemaMap)
        {
            errors.Add(new(schemaEntry.Value.Location, $"output 'schema' must be a JSON schema object, found {schemaEntry.Value.Describe()}"));
            return AgentOutputFormat.Text;
        }
        var schema = (JsonObject)ToJson(schemaMap)!;
        if (AgentConstraints.SchemaProblem(schema) is { } problem)
        {
            errors.Add(new(schemaEntry.Value.Location, $"output 'schema' cannot be enforced: {problem}"));
            return AgentOutputFormat.Text;
        }
        return new AgentOutputFormat(AgentOutputKind.Json, schema);
    }

    private AgentToolChoice ReadToolChoice(ConfigMap map, IReadOnlyList<AgentToolReference> tools, List<AgentConfigError> errors)
    {
        var entry = map.Find("tool_choice");
        if (entry is null || entry.Value is ConfigScalar { Value: null }) return AgentToolChoice.Auto;
        var value = AsString(entry, errors);
        switch (value)
        {
            case null:
                return AgentToolChoice.Auto;
            case "auto":
                return AgentToolChoice.Auto;
            case "none":
                return AgentToolChoice.None;
        }
        var functions = tools.OfType<FunctionToolReference>().ToList();
        if (functions.Count == 0)
        {
            errors.Add(new(entry.Value.Location, $"tool_choice '{value}' needs a function tool (Plugin or Plugin.function) in 'tools'"));
            return AgentToolChoice.Auto;
        }
        if (value == "required") return AgentToolChoice.Required;

        var dot = value.IndexOf('.', StringComparison.Ordinal);
        var offered = functions.FirstOrDefault(f => dot > 0 && f.Plugin == value[..dot] && (f.Function is null || f.Function == value[(dot + 1)..]));
        if (offered is null || (offered.Function is null && plugins.Describe(offered.Plugin)?.TryGetFunction(value[(dot + 1)..], out _) != true))
        {
            errors.Add(new(entry.Value.Location,
                $"tool_choice must be auto, none, required or one of the agent's functions as Plugin.function, found '{value}'"));
            return AgentToolChoice.Auto;
        }
        return new AgentToolChoice(AgentToolChoiceMode.Function, new FunctionToolReference(offered.Plugin, value[(dot + 1)..], entry.Value.Location));
    }

    /// <summary>A configuration subtree as JSON; unquoted scalars that read as numbers, booleans or null keep that type.</summary>
    private static JsonNode? ToJson(ConfigNode node) => node switch
    {
        ConfigMap m => new JsonObject(m.Entries.Select(e => KeyValuePair.Create(e.Key, ToJson(e.Value)))),
        ConfigList l => new JsonArray(l.Items.Select(ToJson).ToArray()),
        ConfigScalar { Value: null } => null,
        ConfigScalar { Quoted: true } s => JsonValue.Create(s.Value),
        ConfigScalar s when bool.TryParse(s.Value, out var b) => JsonValue.Create(b),
        ConfigScalar s when long.TryParse(s.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) => JsonValue.Create(i),
        ConfigScalar s when double.TryParse(s.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => JsonValue.Create(d),
        ConfigScalar s => JsonValue.Create(s.Value),
        _ => null,
    };

    internal static void CheckKeys(ConfigMap map, string[] known, string what, List<AgentConfigError> errors)
    {
        var seen = new HashSet<string>();
        foreach (var entry in map.Entries)
        {
            var key = ConfigKeys.Normalize(entry.Key);
            if (!known.Any(k => ConfigKeys.Normalize(k) == key))
            {
                errors.Add(new(entry.KeyLocation, $"unknown {what} key '{entry.Key}': expected {string.Join(", ", known)}"));
            }
            else if (!seen.Add(key))
            {
                errors.Add(new(entry.KeyLocation, $"duplicate {what} key '{entry.Key}'"));
            }
        }
    }

    internal static string? RequiredString(ConfigMap map, string key, List<AgentConfigError> errors)
    {
        var entry = map.Find(key);
        if (entry is null)
        {
            errors.Add(new(map.Location, $"missing required field '{key}'"));
            return null;
        }
        var value = AsString(entry, errors);
        if (value is not null && string.IsNullOrWhiteSpace(value))
        {
            errors.Add(new(entry.Value.Location, $"'{key}' must not be empty"));
            return null;
        }
        return value;
    }

    internal static string? OptionalString(ConfigMap map, string key, List<AgentConfigError> errors) =>
        map.Find(key) is { } entry ? AsString(entry, errors) : null;

    internal static string? AsString(ConfigEntry entry, List<AgentConfigError> errors)
    {
        if (entry.Value is ConfigScalar { Value: { } value }) return value;
        errors.Add(new(entry.Value.Location, $"'{entry.Key}' must be a string, found {entry.Value.Describe()}"));
        return null;
    }

    private static double? OptionalNumber(ConfigMap map, string key, double min, double max, List<AgentConfigError> errors)
    {
        if (map.Find(key) is not { } entry || entry.Value is ConfigScalar { Value: null }) return null;
        if (entry.Value is ConfigScalar { Value: { } text }
            && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            && double.IsFinite(value))
        {
            if (value >= min && value <= max) return value;
            errors.Add(new(entry.Value.Location, $"'{entry.Key}' must be between {(min == double.Epsilon ? "0 (exclusive)" : min)} and {max}, found {text}"));
            return null;
        }
        errors.Add(new(entry.Value.Location, $"'{entry.Key}' must be a number, found {entry.Value.Describe()}"));
        return null;
    }

    private static int? OptionalInt(ConfigMap map, string key, int min, int max, List<AgentConfigError> errors) =>
        (int?)OptionalInt(map, key, (long)min, max, errors);

    private static long? OptionalInt(ConfigMap map, string key, long min, long max, List<AgentConfigError> errors)
    {
        if (map.Find(key) is not { } entry || entry.Value is ConfigScalar { Value: null }) return null;
        if (entry.Value is ConfigScalar { Value: { } text }
            && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            if (value >= min && value <= max) return value;
            errors.Add(new(entry.Value.Location, $"'{entry.Key}' must be between {min} and {max}, found {text}"));
            return null;
        }
        errors.Add(new(entry.Value.Location, $"'{entry.Key}' must be an integer, found {entry.Value.Describe()}"));
        return null;
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_-]*$")]
    internal static partial Regex NamePattern();
}
