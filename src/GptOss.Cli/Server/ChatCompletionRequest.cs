using GptOss.Generation;
using System.Text.Json;
using System.Text.RegularExpressions;
using GptOss.Harmony;
using GptOss.SemanticKernel;
using Microsoft.Extensions.AI;
using AI = Microsoft.Extensions.AI;

using static GptOss.Cli.Server.JsonFields;

namespace GptOss.Cli.Server;

/// <summary>An OpenAI <c>POST /v1/chat/completions</c> body as Microsoft.Extensions.AI messages and options.</summary>
internal sealed record ChatCompletionRequest(string? Model, IReadOnlyList<ChatMessage> Messages, ChatOptions Options, bool Stream, bool IncludeUsage)
{
    private static readonly Regex FunctionName = new("^[A-Za-z0-9_-]{1,64}$", RegexOptions.CultureInvariant);

    /// <summary>Reads the body; every problem is an <see cref="OpenAiRequestException"/> naming the field.</summary>
    public static ChatCompletionRequest Read(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object) throw new OpenAiRequestException("The request body must be a JSON object.");

        if (!body.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array || messages.GetArrayLength() == 0)
        {
            throw new OpenAiRequestException("'messages' must be a non-empty array.", "messages");
        }
        if (Optional(body, "n") is { } n && !(n.ValueKind == JsonValueKind.Number && n.TryGetInt32(out var count) && count == 1))
        {
            throw new OpenAiRequestException("Only n = 1 is supported.", "n");
        }

        var options = new ChatOptions
        {
            Temperature = Number(body, "temperature", 0, 2),
            TopP = Number(body, "top_p", 0, 1),
            MaxOutputTokens = PositiveInteger(body, "max_completion_tokens") ?? PositiveInteger(body, "max_tokens"),
            Seed = Optional(body, "seed") is { } seed ? seed.TryGetInt64(out var s) ? s : throw new OpenAiRequestException("'seed' must be an integer.", "seed") : null,
            StopSequences = Stop(body),
            Tools = Tools(body),
            ToolMode = ToolChoice(body),
            ResponseFormat = ResponseFormat(body),
            AdditionalProperties = [],
        };
        if (String(body, "reasoning_effort") is { } effort)
        {
            try
            {
                HarmonyConversation.ParseReasoningEffort(effort);
            }
            catch (ArgumentException e)
            {
                throw new OpenAiRequestException(e.Message, "reasoning_effort");
            }
            options.AdditionalProperties["reasoning_effort"] = effort;
        }
        if (Optional(body, ChatOptionsConstraint.MaxReasoningTokensKey) is not null)
        {
            options.AdditionalProperties[ChatOptionsConstraint.MaxReasoningTokensKey] = PositiveInteger(body, ChatOptionsConstraint.MaxReasoningTokensKey);
        }

        try
        {
            ChatOptionsConstraint.From(options);
        }
        catch (ArgumentException e)
        {
            // Only tool_choice can still be wrong here (a function that is not offered); the other fields are checked above.
            throw new OpenAiRequestException(e.Message, "tool_choice");
        }

        var stream = Optional(body, "stream") is { } st && (st.ValueKind is JsonValueKind.True or JsonValueKind.False
            ? st.GetBoolean()
            : throw new OpenAiRequestException("'stream' must be a boolean.", "stream"));
        var includeUsage = Optional(body, "stream_options") is { ValueKind: JsonValueKind.Object } so
            && so.TryGetProperty("include_usage", out var iu) && iu.ValueKind == JsonValueKind.True;

        var list = new List<ChatMessage>();
        var i = 0;
        foreach (var message in messages.EnumerateArray()) list.Add(Message(message, $"messages[{i++}]"));
        return new ChatCompletionRequest(String(body, "model"), list, options, stream, includeUsage);
    }

    private static ChatMessage Message(JsonElement message, string path)
    {
        if (message.ValueKind != JsonValueKind.Object) throw new OpenAiRequestException($"'{path}' must be an object.", path);
        var role = String(message, "role", path) ?? throw new OpenAiRequestException($"'{path}.role' is required.", $"{path}.role");
        switch (role)
        {
            case "system" or "developer":
                return new ChatMessage(ChatRole.System, Text(message, path));
            case "user":
                return new ChatMessage(ChatRole.User, Text(message, path));
            case "tool":
                var callId = String(message, "tool_call_id", path)
                    ?? throw new OpenAiRequestException($"'{path}.tool_call_id' is required for a tool message.", $"{path}.tool_call_id");
                return new ChatMessage(ChatRole.Tool, [new FunctionResultContent(callId, Text(message, path))]);
            case "assistant":
                var contents = new List<AIContent>();
                if ((String(message, "reasoning_content", path) ?? String(message, "reasoning", path)) is { Length: > 0 } reasoning)
                {
                    contents.Add(new TextReasoningContent(reasoning));
                }
                if (Text(message, path) is { Length: > 0 } text) contents.Add(new AI.TextContent(text));
                if (Optional(message, "tool_calls") is { ValueKind: JsonValueKind.Array } calls)
                {
                    var j = 0;
                    foreach (var call in calls.EnumerateArray()) contents.Add(ToolCall(call, $"{path}.tool_calls[{j++}]"));
                }
                return new ChatMessage(ChatRole.Assistant, contents);
            default:
                throw new OpenAiRequestException($"'{path}.role' must be system, developer, user, assistant or tool, not '{role}'.", $"{path}.role");
        }
    }

    // The arguments text is kept verbatim as the harmony call, so the prompt matches what the model wrote.
    private static FunctionCallContent ToolCall(JsonElement call, string path)
    {
        var id = String(call, "id", path) ?? throw new OpenAiRequestException($"'{path}.id' is required.", $"{path}.id");
        if (Optional(call, "function") is not { ValueKind: JsonValueKind.Object } function)
        {
            throw new OpenAiRequestException($"'{path}.function' is required.", $"{path}.function");
        }
        var name = String(function, "name", $"{path}.function") ?? throw new OpenAiRequestException($"'{path}.function.name' is required.", $"{path}.function.name");
        var arguments = String(function, "arguments", $"{path}.function") ?? "{}";
        return HarmonyConversation.ToFunctionCall(id, name, arguments);
    }

    private static string Text(JsonElement message, string path)
    {
        if (Optional(message, "content") is not { } content) return "";
        switch (content.ValueKind)
        {
            case JsonValueKind.String:
                return content.GetString()!;
            case JsonValueKind.Array:
                var parts = new List<string>();
                var k = 0;
                foreach (var part in content.EnumerateArray())
                {
                    var partPath = $"{path}.content[{k++}]";
                    var type = part.ValueKind == JsonValueKind.Object ? String(part, "type", partPath) : null;
                    if (type != "text")
                    {
                        throw new OpenAiRequestException($"'{partPath}' is not a text part: gpt-oss reads text only.", partPath);
                    }
                    parts.Add(String(part, "text", partPath) ?? "");
                }
                return string.Concat(parts);
            default:
                throw new OpenAiRequestException($"'{path}.content' must be a string or an array of text parts.", $"{path}.content");
        }
    }

    private static List<AITool>? Tools(JsonElement body)
    {
        if (Optional(body, "tools") is not { } tools) return null;
        if (tools.ValueKind != JsonValueKind.Array) throw new OpenAiRequestException("'tools' must be an array.", "tools");
        var result = new List<AITool>();
        var i = 0;
        foreach (var tool in tools.EnumerateArray())
        {
            var path = $"tools[{i++}]";
            if (tool.ValueKind != JsonValueKind.Object || String(tool, "type", path) != "function"
                || Optional(tool, "function") is not { ValueKind: JsonValueKind.Object } function)
            {
                throw new OpenAiRequestException($"'{path}' must be {{\"type\": \"function\", \"function\": {{...}}}}.", path);
            }
            var name = String(function, "name", $"{path}.function");
            if (name is null || !FunctionName.IsMatch(name))
            {
                throw new OpenAiRequestException($"'{path}.function.name' must be 1-64 letters, digits, '_' or '-'.", $"{path}.function.name");
            }
            var parameters = Optional(function, "parameters");
            if (parameters is { ValueKind: not JsonValueKind.Object })
            {
                throw new OpenAiRequestException($"'{path}.function.parameters' must be a JSON schema object.", $"{path}.function.parameters");
            }
            var strict = Optional(function, "strict") switch
            {
                null => false,
                { ValueKind: JsonValueKind.True or JsonValueKind.False } b => b.GetBoolean(),
                _ => throw new OpenAiRequestException($"'{path}.function.strict' must be a boolean.", $"{path}.function.strict"),
            };
            result.Add(new FunctionDeclaration(name, String(function, "description", $"{path}.function") ?? "",
                parameters?.Clone() ?? JsonDocument.Parse("""{"type":"object","properties":{}}""").RootElement, strict));
        }
        return result;
    }

    // Whether the named function is among the tools is the constraint's check (one owner for every door): a 400 all the same.
    private static ChatToolMode? ToolChoice(JsonElement body) => Optional(body, "tool_choice") switch
    {
        null => null,
        { ValueKind: JsonValueKind.String } c when c.GetString() == "auto" => ChatToolMode.Auto,
        { ValueKind: JsonValueKind.String } c when c.GetString() == "none" => ChatToolMode.None,
        { ValueKind: JsonValueKind.String } c when c.GetString() == "required" => ChatToolMode.RequireAny,
        { ValueKind: JsonValueKind.Object } c when String(c, "type", "tool_choice") == "function"
            && Optional(c, "function") is { ValueKind: JsonValueKind.Object } f
            && String(f, "name", "tool_choice.function") is { } name => ChatToolMode.RequireSpecific(name),
        _ => throw new OpenAiRequestException(
            "'tool_choice' must be \"auto\", \"none\", \"required\" or {\"type\": \"function\", \"function\": {\"name\": ...}}.", "tool_choice"),
    };

    private static ChatResponseFormat? ResponseFormat(JsonElement body)
    {
        if (Optional(body, "response_format") is not { } format) return null;
        try
        {
            return ResponseFormatJson.Read(format);
        }
        catch (InvalidFieldException e)
        {
            throw new OpenAiRequestException(e.Message, e.Field);
        }
    }

    private static List<string>? Stop(JsonElement body)
    {
        switch (Optional(body, "stop"))
        {
            case null:
                return null;
            case { ValueKind: JsonValueKind.String } one:
                return [one.GetString()!];
            case { ValueKind: JsonValueKind.Array } many when many.EnumerateArray().All(s => s.ValueKind == JsonValueKind.String) && many.GetArrayLength() <= 4:
                return many.EnumerateArray().Select(s => s.GetString()!).ToList();
            default:
                throw new OpenAiRequestException("'stop' must be a string or an array of up to 4 strings.", "stop");
        }
    }
}
