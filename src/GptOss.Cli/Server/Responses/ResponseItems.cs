using System.Text.Json;
using GptOss.SemanticKernel;
using Microsoft.Extensions.AI;
using static GptOss.Cli.Server.JsonFields;
using AI = Microsoft.Extensions.AI;

namespace GptOss.Cli.Server.Responses;

/// <summary>
/// Responses API items as Microsoft.Extensions.AI messages: what a client sends as <c>input</c> and what a stored
/// response returned as <c>output</c> (continuing a response replays both, so they are read the same way).
/// Each item is its own message, so text of an assistant message is the <c>final</c> answer, a reasoning item
/// <c>analysis</c>, and a function call keeps its arguments text verbatim.
/// </summary>
internal static class ResponseItems
{
    /// <summary>The messages for <paramref name="items"/>; a bad item is an <see cref="OpenAiRequestException"/> naming <c>{path}[i]</c>.</summary>
    public static List<ChatMessage> ToMessages(IEnumerable<JsonElement> items, string path)
    {
        var messages = new List<ChatMessage>();
        var i = 0;
        foreach (var item in items)
        {
            var itemPath = $"{path}[{i++}]";
            if (item.ValueKind != JsonValueKind.Object) throw new OpenAiRequestException($"'{itemPath}' must be an object.", itemPath);
            if (ToMessage(item, itemPath) is { } message) messages.Add(message);
        }
        return messages;
    }

    private static ChatMessage? ToMessage(JsonElement item, string path)
    {
        // An easy input message has no type, only a role.
        var type = String(item, "type", path) ?? (Optional(item, "role") is not null ? "message" : null);
        switch (type)
        {
            case "message":
                return Message(item, path);
            case "reasoning":
                var thought = Optional(item, "content") is { ValueKind: JsonValueKind.Array } parts ? Text(parts, $"{path}.content") : "";
                return thought.Length == 0 ? null : new ChatMessage(ChatRole.Assistant, [new TextReasoningContent(thought)]);
            case "function_call":
                var callId = Required(item, "call_id", path);
                return new ChatMessage(ChatRole.Assistant,
                    [HarmonyConversation.ToFunctionCall(callId, Required(item, "name", path), String(item, "arguments", path) ?? "{}")]);
            case "function_call_output":
                var output = Optional(item, "output") switch
                {
                    { ValueKind: JsonValueKind.String } s => s.GetString()!,
                    { ValueKind: JsonValueKind.Array } outputParts => Text(outputParts, $"{path}.output"),
                    _ => throw new OpenAiRequestException($"'{path}.output' must be a string or an array of text parts.", $"{path}.output"),
                };
                return new ChatMessage(ChatRole.Tool, [new FunctionResultContent(Required(item, "call_id", path), output)]);
            // Hosted calls ran on the analysis channel of a finished turn, which the prompt drops anyway.
            case "web_search_call" or "code_interpreter_call":
                return null;
            default:
                throw new OpenAiRequestException(
                    $"'{path}.type' must be message, reasoning, function_call, function_call_output, web_search_call or code_interpreter_call.", $"{path}.type");
        }
    }

    private static ChatMessage Message(JsonElement item, string path)
    {
        var role = String(item, "role", path) switch
        {
            "user" => ChatRole.User,
            "assistant" => ChatRole.Assistant,
            "system" or "developer" => ChatRole.System,
            var other => throw new OpenAiRequestException(
                $"'{path}.role' must be user, assistant, system or developer, not '{other}'.", $"{path}.role"),
        };
        var text = Optional(item, "content") switch
        {
            { ValueKind: JsonValueKind.String } s => s.GetString()!,
            { ValueKind: JsonValueKind.Array } parts => Text(parts, $"{path}.content"),
            _ => throw new OpenAiRequestException($"'{path}.content' must be a string or an array of text parts.", $"{path}.content"),
        };
        return new ChatMessage(role, [new AI.TextContent(text)]);
    }

    private static string Text(JsonElement parts, string path)
    {
        var texts = new List<string>();
        var k = 0;
        foreach (var part in parts.EnumerateArray())
        {
            var partPath = $"{path}[{k++}]";
            var type = part.ValueKind == JsonValueKind.Object ? String(part, "type", partPath) : null;
            if (type is not ("input_text" or "output_text" or "text" or "reasoning_text"))
            {
                throw new OpenAiRequestException($"'{partPath}' is not a text part: gpt-oss reads text only.", partPath);
            }
            texts.Add(String(part, "text", partPath) ?? "");
        }
        return string.Concat(texts);
    }

    private static string Required(JsonElement item, string name, string path) =>
        String(item, name, path) ?? throw new OpenAiRequestException($"'{path}.{name}' is required.", $"{path}.{name}");
}
