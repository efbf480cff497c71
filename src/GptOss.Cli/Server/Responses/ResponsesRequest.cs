using System.Text.Json;
using System.Text.RegularExpressions;
using GptOss.SemanticKernel;
using Microsoft.Extensions.AI;
using static GptOss.Cli.Server.JsonFields;

namespace GptOss.Cli.Server.Responses;

/// <summary>
/// An OpenAI <c>POST /v1/responses</c> body: the input items (a string input becomes one user message), the
/// Microsoft.Extensions.AI options it sets, and what the response object echoes back. A field or value this server
/// cannot honour is an <see cref="OpenAiRequestException"/> naming it, never silently dropped.
/// </summary>
internal sealed record ResponsesRequest(
    string? Model,
    IReadOnlyList<JsonElement> Input,
    ChatOptions Options,
    bool Stream,
    bool Store,
    string? PreviousResponseId,
    ResponseSettings Settings)
{
    private static readonly Regex FunctionName = new("^[A-Za-z0-9_-]{1,64}$", RegexOptions.CultureInvariant);

    // Fields clients send that change nothing here: identifiers for the caller, cache routing, and how results are
    // written (code interpreter outputs are always included; reasoning comes back as raw text, never encrypted).
    private static readonly HashSet<string> AcceptedAndIgnored = ["user", "safety_identifier", "prompt_cache_key", "stream_options"];
    private static readonly HashSet<string> KnownIncludes =
        ["code_interpreter_call.outputs", "reasoning.encrypted_content", "web_search_call.action.sources"];
    private static readonly HashSet<string> Fields =
    [
        "model", "input", "instructions", "tools", "tool_choice", "reasoning", "max_output_tokens", "temperature", "top_p",
        "parallel_tool_calls", "store", "previous_response_id", "stream", "text", "metadata", "include", "truncation",
        "service_tier", "top_logprobs", "background", .. AcceptedAndIgnored,
    ];

    /// <summary>Reads the body; every problem is an <see cref="OpenAiRequestException"/> naming the field.</summary>
    public static ResponsesRequest Read(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object) throw new OpenAiRequestException("The request body must be a JSON object.");
        foreach (var field in body.EnumerateObject())
        {
            if (!Fields.Contains(field.Name)) throw new OpenAiRequestException($"'{field.Name}' is not supported by this server.", field.Name);
        }
        RequireValue(body, "truncation", "disabled");
        RequireValue(body, "background", false);
        RequireValue(body, "top_logprobs", 0);
        if (String(body, "service_tier") is { } tier && tier is not ("auto" or "default"))
        {
            throw new OpenAiRequestException($"'service_tier' must be \"auto\" or \"default\", not '{tier}'.", "service_tier");
        }
        Includes(body);

        var options = new ChatOptions
        {
            Instructions = String(body, "instructions"),
            Temperature = Number(body, "temperature", 0, 2),
            TopP = Number(body, "top_p", 0, 1),
            MaxOutputTokens = PositiveInteger(body, "max_output_tokens"),
            AllowMultipleToolCalls = Boolean(body, "parallel_tool_calls"),
            Tools = Tools(body),
            ToolMode = ToolChoice(body),
            ResponseFormat = TextFormat(body),
        };
        var effort = ReasoningEffort(body);
        if (effort is not null) options.AdditionalProperties = new() { ["reasoning_effort"] = effort };
        if (Optional(body, "metadata") is { ValueKind: not JsonValueKind.Object })
        {
            throw new OpenAiRequestException("'metadata' must be an object of strings.", "metadata");
        }

        var settings = new ResponseSettings(
            options.Instructions, options.MaxOutputTokens, options.Temperature, options.TopP, Boolean(body, "parallel_tool_calls") ?? true,
            Optional(body, "tool_choice")?.Clone(), Optional(body, "tools")?.Clone(), effort, Optional(body, "text")?.Clone(),
            Optional(body, "metadata")?.Clone());
        return new ResponsesRequest(
            String(body, "model"), InputItems(body), options, Boolean(body, "stream") ?? false, Boolean(body, "store") ?? true,
            String(body, "previous_response_id"), settings);
    }

    private static List<JsonElement> InputItems(JsonElement body)
    {
        switch (Optional(body, "input"))
        {
            case { ValueKind: JsonValueKind.String } text:
                return [JsonSerializer.SerializeToElement(new { type = "message", role = "user", content = text.GetString() })];
            case { ValueKind: JsonValueKind.Array } items:
                return items.EnumerateArray().Select(i => i.Clone()).ToList();
            case null when Optional(body, "previous_response_id") is not null:
                return [];
            default:
                throw new OpenAiRequestException("'input' must be a string or an array of input items.", "input");
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
            if (tool.ValueKind != JsonValueKind.Object) throw new OpenAiRequestException($"'{path}' must be an object.", path);
            switch (String(tool, "type", path))
            {
                case "function":
                    result.Add(Function(tool, path));
                    break;
                // gpt-oss's browser answers every web search flavour; their search settings have no equivalent here.
                case "web_search" or "web_search_preview" or "browser_search":
                    result.Add(new HostedWebSearchTool());
                    break;
                // Code runs in this server's python sandbox, whatever container is asked for.
                case "code_interpreter":
                    result.Add(new HostedCodeInterpreterTool());
                    break;
                case var type:
                    throw new OpenAiRequestException(
                        $"'{path}.type' '{type}' is not supported: use function, web_search, web_search_preview, browser_search or code_interpreter.", $"{path}.type");
            }
        }
        return result;
    }

    private static AIFunctionDeclaration Function(JsonElement tool, string path)
    {
        var name = String(tool, "name", path);
        if (name is null || !FunctionName.IsMatch(name))
        {
            throw new OpenAiRequestException($"'{path}.name' must be 1-64 letters, digits, '_' or '-'.", $"{path}.name");
        }
        var parameters = Optional(tool, "parameters");
        if (parameters is { ValueKind: not JsonValueKind.Object })
        {
            throw new OpenAiRequestException($"'{path}.parameters' must be a JSON schema object.", $"{path}.parameters");
        }
        Boolean(tool, "strict", path);
        return AIFunctionFactory.CreateDeclaration(name, String(tool, "description", path) ?? "",
            parameters?.Clone() ?? JsonDocument.Parse("""{"type":"object","properties":{}}""").RootElement);
    }

    // The answer constraint is set from these by the M.E.AI door (ToolMode, ResponseFormat), one owner for every door.
    private static ChatToolMode? ToolChoice(JsonElement body) => Optional(body, "tool_choice") switch
    {
        null => null,
        { ValueKind: JsonValueKind.String } c when c.GetString() == "auto" => ChatToolMode.Auto,
        { ValueKind: JsonValueKind.String } c when c.GetString() == "none" => ChatToolMode.None,
        { ValueKind: JsonValueKind.String } c when c.GetString() == "required" => ChatToolMode.RequireAny,
        { ValueKind: JsonValueKind.Object } c when String(c, "type", "tool_choice") == "function"
            && String(c, "name", "tool_choice") is { } name => ChatToolMode.RequireSpecific(name),
        _ => throw new OpenAiRequestException(
            "'tool_choice' must be \"auto\", \"none\", \"required\" or {\"type\": \"function\", \"name\": ...}.", "tool_choice"),
    };

    private static ChatResponseFormat? TextFormat(JsonElement body)
    {
        if (Optional(body, "text") is not { } text) return null;
        if (text.ValueKind != JsonValueKind.Object) throw new OpenAiRequestException("'text' must be an object.", "text");
        foreach (var field in text.EnumerateObject())
        {
            if (field.Name is not ("format" or "verbosity")) throw new OpenAiRequestException($"'text.{field.Name}' is not supported.", $"text.{field.Name}");
        }
        if (Optional(text, "format") is not { } format) return null;
        switch (format.ValueKind == JsonValueKind.Object ? String(format, "type", "text.format") : null)
        {
            case "text":
                return ChatResponseFormat.Text;
            case "json_object":
                return ChatResponseFormat.Json;
            case "json_schema":
                var name = String(format, "name", "text.format")
                    ?? throw new OpenAiRequestException("'text.format.name' is required for json_schema.", "text.format.name");
                Boolean(format, "strict", "text.format");
                return Optional(format, "schema") is { ValueKind: JsonValueKind.Object } schema
                    ? ChatResponseFormat.ForJsonSchema(schema.Clone(), name, String(format, "description", "text.format"))
                    : throw new OpenAiRequestException("'text.format.schema' must be a JSON schema object.", "text.format.schema");
            default:
                throw new OpenAiRequestException("'text.format.type' must be text, json_object or json_schema.", "text.format.type");
        }
    }

    private static string? ReasoningEffort(JsonElement body)
    {
        if (Optional(body, "reasoning") is not { } reasoning) return null;
        if (reasoning.ValueKind != JsonValueKind.Object) throw new OpenAiRequestException("'reasoning' must be an object.", "reasoning");
        foreach (var field in reasoning.EnumerateObject())
        {
            // A summary is never made: the raw chain of thought comes back as reasoning_text instead.
            if (field.Name is not ("effort" or "summary" or "generate_summary"))
            {
                throw new OpenAiRequestException($"'reasoning.{field.Name}' is not supported.", $"reasoning.{field.Name}");
            }
        }
        var effort = String(reasoning, "effort", "reasoning");
        if (effort is null) return null;
        try
        {
            HarmonyConversation.ParseReasoningEffort(effort);
        }
        catch (ArgumentException)
        {
            throw new OpenAiRequestException($"'reasoning.effort' must be low, medium or high for gpt-oss, not '{effort}'.", "reasoning.effort");
        }
        return effort.ToLowerInvariant();
    }

    private static void Includes(JsonElement body)
    {
        if (Optional(body, "include") is not { } include) return;
        if (include.ValueKind != JsonValueKind.Array) throw new OpenAiRequestException("'include' must be an array of strings.", "include");
        var i = 0;
        foreach (var value in include.EnumerateArray())
        {
            if (value.ValueKind != JsonValueKind.String || !KnownIncludes.Contains(value.GetString()!))
            {
                throw new OpenAiRequestException($"'include[{i}]' is not supported: use {string.Join(", ", KnownIncludes)}.", $"include[{i}]");
            }
            i++;
        }
    }

    private static void RequireValue<T>(JsonElement body, string name, T only)
    {
        if (Optional(body, name) is not { } value) return;
        var matches = only switch
        {
            string s => value.ValueKind == JsonValueKind.String && value.GetString() == s,
            bool b => value.ValueKind == (b ? JsonValueKind.True : JsonValueKind.False),
            int n => value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var v) && v == n,
            _ => false,
        };
        if (!matches) throw new OpenAiRequestException($"'{name}' is only supported as {JsonSerializer.Serialize(only)}.", name);
    }
}

/// <summary>What a response object echoes of its request.</summary>
internal sealed record ResponseSettings(
    string? Instructions,
    int? MaxOutputTokens,
    float? Temperature,
    float? TopP,
    bool ParallelToolCalls,
    JsonElement? ToolChoice,
    JsonElement? Tools,
    string? ReasoningEffort,
    JsonElement? Text,
    JsonElement? Metadata);
