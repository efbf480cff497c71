using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;

namespace GptOss.SemanticKernel;

/// <summary><see cref="GptOssPromptExecutionSettings.ResponseFormat"/>'s accepted values → an M.E.AI <see cref="ChatResponseFormat"/>.</summary>
internal static class SemanticKernelResponseFormat
{
    // As SK's OpenAI connector does for a type: every property required and no others, so the answer deserializes
    // into the type with the default serializer (property names as declared).
    // Integer members get their type's range, so a generated number always fits when the answer is deserialized.
    private static readonly AIJsonSchemaCreateOptions TypeSchema = new()
    {
        TransformOptions = new AIJsonSchemaTransformOptions { DisallowAdditionalProperties = true, RequireAllProperties = true },
        TransformSchemaNode = (context, schema) => IntegerRange(context.TypeInfo.Type) is { } range && schema is JsonObject bounded
            ? WithRange(bounded, range.Min, range.Max)
            : schema,
    };

    private static (long Min, long Max)? IntegerRange(Type type) => (Nullable.GetUnderlyingType(type) ?? type) switch
    {
        var t when t == typeof(int) => (int.MinValue, int.MaxValue),
        var t when t == typeof(uint) => (0, uint.MaxValue),
        var t when t == typeof(short) => (short.MinValue, short.MaxValue),
        var t when t == typeof(ushort) => (0, ushort.MaxValue),
        var t when t == typeof(byte) => (0, byte.MaxValue),
        var t when t == typeof(sbyte) => (sbyte.MinValue, sbyte.MaxValue),
        _ => null,
    };

    private static JsonObject WithRange(JsonObject schema, long min, long max)
    {
        schema["minimum"] ??= min;
        schema["maximum"] ??= max;
        return schema;
    }

    private static readonly JsonSerializerOptions DeclaredNames = new(JsonSerializerOptions.Default);

    /// <exception cref="ArgumentException">A value that names no format.</exception>
    public static ChatResponseFormat? ToChatResponseFormat(object? format) => format switch
    {
        null => null,
        ChatResponseFormat f => f,
        Type type => ChatResponseFormat.ForJsonSchema(
            AIJsonUtilities.CreateJsonSchema(type, serializerOptions: DeclaredNames, inferenceOptions: TypeSchema), type.Name),
        string text => Named(text),
        JsonElement { ValueKind: JsonValueKind.String } text => Named(text.GetString()!),
        JsonElement json => ResponseFormatJson.Read(json),
        _ => throw new ArgumentException(
            $"response_format must be a Type, a ChatResponseFormat, \"json_object\", \"text\" or a response_format object, not {format.GetType().Name}."),
    };

    private static ChatResponseFormat Named(string text) => text switch
    {
        "json_object" => ChatResponseFormat.Json,
        "text" => ChatResponseFormat.Text,
        _ => throw new ArgumentException($"response_format must be \"json_object\" or \"text\" when a string, not \"{text}\"."),
    };
}
