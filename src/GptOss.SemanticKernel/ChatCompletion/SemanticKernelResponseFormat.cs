using System.Text.Json;
using Microsoft.Extensions.AI;

namespace GptOss.SemanticKernel;

/// <summary><see cref="GptOssPromptExecutionSettings.ResponseFormat"/>'s accepted values → an M.E.AI <see cref="ChatResponseFormat"/>.</summary>
internal static class SemanticKernelResponseFormat
{
    // As SK's OpenAI connector does for a type: every property required and no others, so the answer deserializes
    // into the type with the default serializer (property names as declared).
    private static readonly AIJsonSchemaCreateOptions TypeSchema = new()
    {
        TransformOptions = new AIJsonSchemaTransformOptions { DisallowAdditionalProperties = true, RequireAllProperties = true },
    };

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
