using System.Text.Json;

namespace GptOss.Cli.Server;

/// <summary>Typed reads of a request body's fields; a wrong type is an <see cref="OpenAiRequestException"/> naming the field's path.</summary>
internal static class JsonFields
{
    /// <summary>The field, or null when it is absent or JSON null.</summary>
    public static JsonElement? Optional(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    public static string? String(JsonElement obj, string name, string? path = null) => Optional(obj, name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.String } s => s.GetString(),
        _ => throw new OpenAiRequestException($"'{Join(path, name)}' must be a string.", Join(path, name)),
    };

    public static bool? Boolean(JsonElement obj, string name, string? path = null) => Optional(obj, name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.True or JsonValueKind.False } b => b.GetBoolean(),
        _ => throw new OpenAiRequestException($"'{Join(path, name)}' must be a boolean.", Join(path, name)),
    };

    public static float? Number(JsonElement obj, string name, double min, double max) => Optional(obj, name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.Number } v when v.GetDouble() >= min && v.GetDouble() <= max => (float)v.GetDouble(),
        _ => throw new OpenAiRequestException($"'{name}' must be a number from {min} to {max}.", name),
    };

    public static int? PositiveInteger(JsonElement obj, string name) => Optional(obj, name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.Number } v when v.TryGetInt32(out var i) && i > 0 => i,
        _ => throw new OpenAiRequestException($"'{name}' must be a positive integer.", name),
    };

    public static string Join(string? path, string name) => path is null ? name : $"{path}.{name}";
}
