using System.Text.Json;
using System.Text.Json.Nodes;

namespace GptOss.Agents;

/// <summary>Checks a final answer against the agent's output format: valid JSON, and the schema's top-level type and required properties.</summary>
internal static class AgentOutputValidator
{
    /// <summary>Null when the answer fits, else what is wrong.</summary>
    public static string? Check(AgentOutputFormat format, string answer)
    {
        if (format.Kind != AgentOutputKind.Json) return null;
        JsonNode? value;
        try
        {
            value = JsonNode.Parse(answer);
        }
        catch (JsonException e)
        {
            return $"the answer is not valid JSON: {e.Message}";
        }
        if (format.Schema is not { } schema) return null;
        if (schema["type"]?.GetValue<string>() is { } type && !HasType(value, type))
        {
            return $"the answer must be a JSON {type}, found {Kind(value)}";
        }
        if (value is JsonObject obj && schema["required"] is JsonArray required)
        {
            var missing = required.Select(r => r?.GetValue<string>()).Where(r => r is not null && !obj.ContainsKey(r)).ToList();
            if (missing.Count > 0) return $"the answer lacks required propert{(missing.Count == 1 ? "y" : "ies")}: {string.Join(", ", missing)}";
        }
        return null;
    }

    private static bool HasType(JsonNode? value, string type) => type switch
    {
        "object" => value is JsonObject,
        "array" => value is JsonArray,
        "string" => Kind(value) == "string",
        "number" => Kind(value) == "number",
        "integer" => value is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.ToJsonString().All(c => char.IsAsciiDigit(c) || c == '-'),
        "boolean" => Kind(value) == "boolean",
        "null" => value is null,
        _ => true,
    };

    private static string Kind(JsonNode? value) => value switch
    {
        null => "null",
        JsonObject => "object",
        JsonArray => "array",
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => "string",
            JsonValueKind.Number => "number",
            _ => "boolean",
        },
        _ => "unknown",
    };
}
