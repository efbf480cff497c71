using System.Text.Json;
using GptOss.Harmony;

namespace GptOss.Agents;

/// <summary>The system and developer messages that open an agent's conversation.</summary>
internal static class AgentPrompt
{
    /// <summary>
    /// System: reasoning effort, today's date and the built-in tool namespaces. Developer: the agent's
    /// instructions (plus the response format when JSON is required) and the <c>functions</c> namespace.
    /// </summary>
    public static IReadOnlyList<Message> Create(
        AgentDefinition agent,
        IReadOnlyList<ToolNamespaceConfig> builtinTools,
        ToolNamespaceConfig? functions,
        DateTimeOffset now)
    {
        var system = new SystemContent
        {
            ReasoningEffort = agent.ReasoningEffort,
            ConversationStartDate = now.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
            Tools = builtinTools.Count == 0 ? null : builtinTools.ToDictionary(n => n.Name),
        };
        var developer = new DeveloperContent
        {
            Instructions = Instructions(agent),
            Tools = functions is { Tools.Count: > 0 } ? new Dictionary<string, ToolNamespaceConfig> { [functions.Name] = functions } : null,
        };
        return [Message.FromRole(Role.System, system), Message.FromRole(Role.Developer, developer)];
    }

    // Harmony puts structured-output requirements in the developer message under "# Response Formats".
    private static string Instructions(AgentDefinition agent)
    {
        if (agent.Output.Kind != AgentOutputKind.Json) return agent.Instructions.TrimEnd();
        var format = agent.Output.Schema is { } schema
            ? $"## answer\n\n{schema.ToJsonString(new JsonSerializerOptions { WriteIndented = false })}"
            : "## answer\n\nA single JSON value, with no text around it.";
        return $"{agent.Instructions.TrimEnd()}\n\n# Response Formats\n\n{format}";
    }
}
