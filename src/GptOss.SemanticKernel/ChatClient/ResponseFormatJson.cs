using System.Text.Json;
using Microsoft.Extensions.AI;

namespace GptOss.SemanticKernel;

/// <summary>
/// OpenAI's <c>response_format</c> object (<c>{"type": "text" | "json_object" | "json_schema", "json_schema": {name, description, schema}}</c>)
/// as an M.E.AI <see cref="ChatResponseFormat"/>: what chat completions bodies and SK prompt settings carry.
/// </summary>
public static class ResponseFormatJson
{
    /// <summary>Reads <paramref name="format"/>, found at <paramref name="path"/> (named in errors).</summary>
    /// <exception cref="InvalidFieldException">The object is malformed; names the field.</exception>
    public static ChatResponseFormat Read(JsonElement format, string path = "response_format")
    {
        var type = format.ValueKind == JsonValueKind.Object && format.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String
            ? t.GetString()
            : null;
        switch (type)
        {
            case "text":
                return ChatResponseFormat.Text;
            case "json_object":
                return ChatResponseFormat.Json;
            case "json_schema":
                var specPath = $"{path}.json_schema";
                if (!format.TryGetProperty("json_schema", out var spec) || spec.ValueKind != JsonValueKind.Object)
                {
                    throw new InvalidFieldException($"'{specPath}' is required for type json_schema.", specPath);
                }
                var name = Text(spec, "name", specPath) ?? throw new InvalidFieldException($"'{specPath}.name' is required.", $"{specPath}.name");
                var description = Text(spec, "description", specPath);
                if (!spec.TryGetProperty("schema", out var schema) || schema.ValueKind == JsonValueKind.Null)
                {
                    return new ChatResponseFormatJson(null, name, description);
                }
                return schema.ValueKind == JsonValueKind.Object
                    ? ChatResponseFormat.ForJsonSchema(schema.Clone(), name, description)
                    : throw new InvalidFieldException($"'{specPath}.schema' must be a JSON schema object.", $"{specPath}.schema");
            default:
                throw new InvalidFieldException(
                    $"'{path}' must be {{\"type\": \"text\"}}, {{\"type\": \"json_object\"}} or {{\"type\": \"json_schema\", \"json_schema\": {{...}}}}.", path);
        }
    }

    private static string? Text(JsonElement obj, string name, string path) =>
        !obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null ? null
        : value.ValueKind == JsonValueKind.String ? value.GetString()
        : throw new InvalidFieldException($"'{path}.{name}' must be a string.", $"{path}.{name}");
}

/// <summary>A request field with a bad value: <see cref="Field"/> is its path (<c>response_format.json_schema.name</c>).</summary>
public sealed class InvalidFieldException(string message, string field) : ArgumentException(message)
{
    public string Field { get; } = field;
}
