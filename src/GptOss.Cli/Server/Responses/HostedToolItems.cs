using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using GptOss.Harmony;
using Microsoft.Extensions.AI;
using AI = Microsoft.Extensions.AI;

namespace GptOss.Cli.Server.Responses;

/// <summary>
/// Hosted tool calls as Responses output items: <c>code_interpreter_call</c> (the code, then the logs it printed)
/// and <c>web_search_call</c> (the browser action: <c>search</c> with its query, <c>open_page</c> with its url,
/// <c>find</c> with its pattern), as gpt-oss's reference server reports its python and browser.
/// </summary>
internal static class HostedToolItems
{
    public static JsonObject Call(ToolCallContent call, string id) => call switch
    {
        CodeInterpreterToolCallContent code => new JsonObject
        {
            ["id"] = id,
            ["type"] = "code_interpreter_call",
            ["status"] = "in_progress",
            ["code"] = string.Concat(code.Inputs?.OfType<DataContent>().Select(d => Encoding.UTF8.GetString(d.Data.Span)) ?? []),
            ["container_id"] = "local",
            ["outputs"] = null,
        },
        _ => new JsonObject
        {
            ["id"] = id,
            ["type"] = "web_search_call",
            ["status"] = "in_progress",
            ["action"] = BrowserAction(call.RawRepresentation as Message),
        },
    };

    /// <summary>The call's item, completed with what the tool returned.</summary>
    public static JsonObject Complete(JsonObject call, ToolResultContent result)
    {
        var item = (JsonObject)call.DeepClone();
        item["status"] = "completed";
        if (result is CodeInterpreterToolResultContent code)
        {
            item["outputs"] = new JsonArray([.. (code.Outputs ?? []).OfType<AI.TextContent>()
                .Select(t => (JsonNode)new JsonObject { ["type"] = "logs", ["logs"] = t.Text })]);
        }
        return item;
    }

    private static JsonObject BrowserAction(Message? call)
    {
        var function = call?.Recipient?.Split('.', 2) is [_, var name] ? name : "search";
        var args = Arguments(call?.Text);
        string? Field(string field) => args.TryGetValue(field, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        return function switch
        {
            "open" => new JsonObject { ["type"] = "open_page", ["url"] = Field("id") },
            "find" => new JsonObject { ["type"] = "find", ["pattern"] = Field("pattern"), ["url"] = null },
            _ => new JsonObject { ["type"] = "search", ["query"] = Field("query") },
        };
    }

    // The model's arguments may be malformed; the item then shows the action without them.
    private static Dictionary<string, JsonElement> Arguments(string? text)
    {
        try
        {
            return text is null ? [] : JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(text) ?? [];
        }
        catch (JsonException)
        {
            return [];
        }
    }
}
