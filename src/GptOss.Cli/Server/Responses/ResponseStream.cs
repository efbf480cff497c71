using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using GptOss.Harmony;
using Microsoft.Extensions.AI;
using AI = Microsoft.Extensions.AI;

namespace GptOss.Cli.Server.Responses;

/// <summary>
/// Turns one answer's M.E.AI updates into Responses API events, in the reference order, while building the
/// response's output items: <c>response.created</c>, <c>response.in_progress</c>; per item
/// <c>output_item.added</c>, (<c>content_part.added</c>, text deltas, text done, <c>content_part.done</c>) or
/// (<c>function_call_arguments.delta</c>/<c>.done</c>) or the hosted call's progress, then <c>output_item.done</c>
/// with the complete item; last <c>response.completed</c> (or <c>.incomplete</c>) with usage. Non-streamed requests
/// run the same path and keep only the final response.
/// </summary>
internal sealed class ResponseStream(ResponseHeader header, Func<string, JsonObject, Task> emit)
{
    private readonly List<JsonObject> _output = [];
    private readonly Dictionary<string, (JsonObject Item, int Index)> _hostedCalls = new(StringComparer.Ordinal);
    private readonly UrlCitations _citations = new();
    private TextItem? _open;
    private int _sequence;
    private int _reasoningTokens;
    private UsageDetails? _usage;
    private ChatFinishReason? _finish;

    /// <summary>The items so far (every item once it is done).</summary>
    public IReadOnlyList<JsonObject> Output => _output;

    public async Task StartAsync()
    {
        await Emit("response.created", new JsonObject { ["response"] = Response("in_progress") });
        await Emit("response.in_progress", new JsonObject { ["response"] = Response("in_progress") });
    }

    public async Task AcceptAsync(ChatResponseUpdate update)
    {
        _finish = update.FinishReason ?? _finish;
        foreach (var content in update.Contents)
        {
            switch (content)
            {
                case TextReasoningContent { Text.Length: > 0 } r:
                    await DeltaAsync("reasoning", update.MessageId, r.Text);
                    break;
                case AI.TextContent { Text.Length: > 0 } t:
                    await DeltaAsync("message", update.MessageId, t.Text);
                    break;
                case FunctionCallContent call:
                    await FunctionCallAsync(call);
                    break;
                case ToolCallContent call and (CodeInterpreterToolCallContent or WebSearchToolCallContent):
                    await HostedCallAsync(call);
                    break;
                case ToolResultContent result and (CodeInterpreterToolResultContent or WebSearchToolResultContent):
                    await HostedResultAsync(result);
                    break;
                case UsageContent usage:
                    _usage = usage.Details;
                    break;
            }
        }
    }

    /// <summary>Closes the open item and sends the final event; returns the finished response.</summary>
    public async Task<JsonObject> FinishAsync()
    {
        await CloseAsync();
        var incomplete = _finish == ChatFinishReason.Length;
        var response = Response(incomplete ? "incomplete" : "completed");
        await Emit(incomplete ? "response.incomplete" : "response.completed", new JsonObject { ["response"] = response.DeepClone() });
        return response;
    }

    /// <summary>Ends the stream with <c>response.failed</c> (headers are sent: the error goes in-band).</summary>
    public Task FailAsync(string message)
    {
        var response = Response("failed");
        response["error"] = new JsonObject { ["code"] = "server_error", ["message"] = message };
        return Emit("response.failed", new JsonObject { ["response"] = response });
    }

    private async Task DeltaAsync(string kind, string? messageId, string delta)
    {
        if (_open is null || _open.Kind != kind || _open.MessageId != messageId)
        {
            await CloseAsync();
            _open = new TextItem(kind, messageId, NewId(kind == "reasoning" ? "rs" : "msg"), _output.Count);
            await Emit("response.output_item.added", new JsonObject { ["output_index"] = _open.Index, ["item"] = _open.Item(done: false) });
            await Emit("response.content_part.added", _open.Position(new JsonObject { ["part"] = _open.Part("") }));
        }
        if (kind == "reasoning")
        {
            _open.Text.Append(delta);
            await Emit("response.reasoning_text.delta", _open.Position(new JsonObject { ["delta"] = delta }));
            return;
        }
        // Answer text waits while a citation is open, so that it streams with its url in place.
        _open.Pending.Append(delta);
        if (!UrlCitations.EndsInsideCitation(_open.Pending.ToString())) await FlushAsync(_open);
    }

    private async Task FlushAsync(TextItem item)
    {
        if (item.Pending.Length == 0) return;
        var (text, annotations) = _citations.Replace(item.Pending.ToString(), item.Text.Length);
        item.Pending.Clear();
        foreach (var annotation in annotations)
        {
            var added = item.Position(new JsonObject { ["annotation_index"] = item.Annotations.Count, ["annotation"] = annotation.DeepClone() });
            item.Annotations.Add(annotation);
            await Emit("response.output_text.annotation.added", added);
        }
        item.Text.Append(text);
        await Emit("response.output_text.delta", item.Position(new JsonObject { ["delta"] = text, ["logprobs"] = new JsonArray() }));
    }

    private async Task CloseAsync()
    {
        if (_open is not { } item) return;
        await FlushAsync(item);
        _open = null;
        var text = item.Text.ToString();
        var done = item.Position(new JsonObject { ["text"] = text });
        if (item.Kind == "reasoning") _reasoningTokens += HarmonyTokenizer.Shared.EncodeOrdinary(text).Count;
        else done["logprobs"] = new JsonArray();
        await Emit(item.Kind == "reasoning" ? "response.reasoning_text.done" : "response.output_text.done", done);
        await Emit("response.content_part.done", item.Position(new JsonObject { ["part"] = item.Part(text) }));
        await AddItemAsync(item.Item(done: true));
    }

    private async Task FunctionCallAsync(FunctionCallContent call)
    {
        await CloseAsync();
        var arguments = call.RawRepresentation is Message harmony
            ? harmony.Text
            : JsonSerializer.Serialize(call.Arguments ?? new Dictionary<string, object?>(), AIJsonUtilities.DefaultOptions);
        var id = NewId("fc");
        var index = _output.Count;
        JsonObject Item(string status, string args) => new()
        {
            ["id"] = id, ["type"] = "function_call", ["status"] = status, ["call_id"] = call.CallId, ["name"] = call.Name, ["arguments"] = args,
        };
        await Emit("response.output_item.added", new JsonObject { ["output_index"] = index, ["item"] = Item("in_progress", "") });
        await Emit("response.function_call_arguments.delta", new JsonObject { ["item_id"] = id, ["output_index"] = index, ["delta"] = arguments });
        await Emit("response.function_call_arguments.done",
            new JsonObject { ["item_id"] = id, ["output_index"] = index, ["name"] = call.Name, ["arguments"] = arguments });
        await AddItemAsync(Item("completed", arguments));
    }

    private async Task HostedCallAsync(ToolCallContent call)
    {
        await CloseAsync();
        var index = _output.Count;
        var item = HostedToolItems.Call(call, NewId(call is CodeInterpreterToolCallContent ? "ci" : "ws"));
        _hostedCalls[call.CallId] = (item, index);
        var id = (string)item["id"]!;
        await Emit("response.output_item.added", new JsonObject { ["output_index"] = index, ["item"] = item.DeepClone() });
        var position = () => new JsonObject { ["item_id"] = id, ["output_index"] = index };
        if (call is CodeInterpreterToolCallContent)
        {
            var code = (string?)item["code"] ?? "";
            await Emit("response.code_interpreter_call.in_progress", position());
            var delta = position();
            delta["delta"] = code;
            await Emit("response.code_interpreter_call_code.delta", delta);
            var codeDone = position();
            codeDone["code"] = code;
            await Emit("response.code_interpreter_call_code.done", codeDone);
            await Emit("response.code_interpreter_call.interpreting", position());
        }
        else
        {
            await Emit("response.web_search_call.in_progress", position());
            await Emit("response.web_search_call.searching", position());
        }
    }

    private async Task HostedResultAsync(ToolResultContent result)
    {
        if (!_hostedCalls.Remove(result.CallId, out var call)) return;
        if (result is WebSearchToolResultContent search)
        {
            foreach (var page in (search.Outputs ?? []).OfType<AI.TextContent>()) _citations.Read(page.Text);
        }
        var item = HostedToolItems.Complete(call.Item, result);
        var kind = result is CodeInterpreterToolResultContent ? "code_interpreter_call" : "web_search_call";
        await Emit($"response.{kind}.completed", new JsonObject { ["item_id"] = (string)item["id"]!, ["output_index"] = call.Index });
        await AddItemAsync(item);
    }

    private async Task AddItemAsync(JsonObject item)
    {
        var index = _output.Count;
        _output.Add(item);
        await Emit("response.output_item.done", new JsonObject { ["output_index"] = index, ["item"] = item.DeepClone() });
    }

    private JsonObject Response(string status)
    {
        var settings = header.Settings;
        var response = new JsonObject
        {
            ["id"] = header.Id,
            ["object"] = "response",
            ["created_at"] = header.CreatedAt.ToUnixTimeSeconds(),
            ["status"] = status,
            ["error"] = null,
            ["incomplete_details"] = status == "incomplete" ? new JsonObject { ["reason"] = "max_output_tokens" } : null,
            ["instructions"] = settings.Instructions,
            ["max_output_tokens"] = settings.MaxOutputTokens,
            ["model"] = header.Model,
            ["output"] = new JsonArray([.. _output.Select(i => i.DeepClone())]),
            ["parallel_tool_calls"] = settings.ParallelToolCalls,
            ["previous_response_id"] = header.PreviousResponseId,
            ["reasoning"] = new JsonObject { ["effort"] = settings.ReasoningEffort, ["summary"] = null },
            ["store"] = header.Store,
            ["temperature"] = settings.Temperature ?? 1.0f,
            ["text"] = settings.Text is { } text ? JsonNode.Parse(text.GetRawText()) : new JsonObject { ["format"] = new JsonObject { ["type"] = "text" } },
            ["tool_choice"] = settings.ToolChoice is { } choice ? JsonNode.Parse(choice.GetRawText()) : "auto",
            ["tools"] = settings.Tools is { } tools ? JsonNode.Parse(tools.GetRawText()) : new JsonArray(),
            ["top_p"] = settings.TopP ?? 1.0f,
            ["truncation"] = "disabled",
            ["usage"] = status is "completed" or "incomplete" ? Usage() : null,
            ["metadata"] = settings.Metadata is { } metadata ? JsonNode.Parse(metadata.GetRawText()) : new JsonObject(),
        };
        return response;
    }

    private JsonObject Usage()
    {
        var input = _usage?.InputTokenCount ?? 0;
        var output = _usage?.OutputTokenCount ?? 0;
        return new JsonObject
        {
            ["input_tokens"] = input,
            ["input_tokens_details"] = new JsonObject { ["cached_tokens"] = _usage?.CachedInputTokenCount ?? 0 },
            ["output_tokens"] = output,
            // The chain of thought's text tokens: harmony's headers around it are counted only in output_tokens.
            ["output_tokens_details"] = new JsonObject { ["reasoning_tokens"] = Math.Min(_reasoningTokens, output) },
            ["total_tokens"] = input + output,
        };
    }

    private Task Emit(string type, JsonObject body)
    {
        var e = new JsonObject { ["type"] = type, ["sequence_number"] = _sequence++ };
        foreach (var (name, value) in body.ToList())
        {
            body.Remove(name);
            e[name] = value;
        }
        return emit(type, e);
    }

    private static string NewId(string prefix) => $"{prefix}_{Guid.NewGuid():N}";

    /// <summary>A reasoning or message item whose text is streaming.</summary>
    private sealed class TextItem(string kind, string? messageId, string id, int index)
    {
        public string Kind => kind;
        public string? MessageId => messageId;
        public int Index => index;
        public StringBuilder Text { get; } = new();

        /// <summary>Answer text not yet sent: it ends inside a citation.</summary>
        public StringBuilder Pending { get; } = new();

        public List<JsonObject> Annotations { get; } = [];

        public JsonObject Position(JsonObject e)
        {
            e["item_id"] = id;
            e["output_index"] = index;
            e["content_index"] = 0;
            return e;
        }

        public JsonNode Part(string text) => kind == "reasoning"
            ? new JsonObject { ["type"] = "reasoning_text", ["text"] = text }
            : new JsonObject
            {
                ["type"] = "output_text", ["text"] = text,
                ["annotations"] = new JsonArray([.. Annotations.Select(a => a.DeepClone())]), ["logprobs"] = new JsonArray(),
            };

        public JsonObject Item(bool done) => kind == "reasoning"
            ? new JsonObject
            {
                ["id"] = id, ["type"] = "reasoning", ["summary"] = new JsonArray(),
                ["content"] = done ? new JsonArray(Part(Text.ToString())) : new JsonArray(),
            }
            : new JsonObject
            {
                ["id"] = id, ["type"] = "message", ["status"] = done ? "completed" : "in_progress", ["role"] = "assistant",
                ["content"] = done ? new JsonArray(Part(Text.ToString())) : new JsonArray(),
            };
    }
}

/// <summary>The response's identity: id, model, when, what it continues, whether it is stored, and the echoed settings.</summary>
internal sealed record ResponseHeader(string Id, string Model, DateTimeOffset CreatedAt, string? PreviousResponseId, bool Store, ResponseSettings Settings);
