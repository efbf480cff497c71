using GptOss.Generation;
using System.Buffers;
using System.Text.Json;
using GptOss.Harmony;
using GptOss.SemanticKernel;
using Microsoft.Extensions.AI;
using AI = Microsoft.Extensions.AI;

namespace GptOss.Cli.Server;

/// <summary>
/// OpenAI chat completion JSON: the response object, streaming chunks and errors. Reasoning goes in
/// <c>reasoning_content</c> (never in <c>content</c>), calls in <c>tool_calls</c> with their arguments verbatim.
/// </summary>
internal static class ChatCompletionJson
{
    public static byte[] Response(ChatResponse response, string model)
    {
        var message = response.Messages.LastOrDefault() ?? new ChatMessage(ChatRole.Assistant, []);
        return Write(w =>
        {
            Header(w, response.ResponseId, "chat.completion", response.CreatedAt, model);
            w.WriteStartArray("choices");
            w.WriteStartObject();
            w.WriteNumber("index", 0);
            w.WriteStartObject("message");
            w.WriteString("role", "assistant");
            var text = string.Concat(message.Contents.OfType<AI.TextContent>().Select(t => t.Text));
            var calls = message.Contents.OfType<FunctionCallContent>().ToList();
            if (text.Length > 0 || calls.Count == 0) w.WriteString("content", text);
            else w.WriteNull("content");
            var reasoning = string.Concat(message.Contents.OfType<TextReasoningContent>().Select(r => r.Text));
            if (reasoning.Length > 0) w.WriteString("reasoning_content", reasoning);
            if (calls.Count > 0)
            {
                w.WriteStartArray("tool_calls");
                for (var i = 0; i < calls.Count; i++) ToolCall(w, calls[i], index: null);
                w.WriteEndArray();
            }
            w.WriteEndObject();
            w.WriteString("finish_reason", FinishReason(response.FinishReason));
            w.WriteEndObject();
            w.WriteEndArray();
            if (response.Usage is { } usage) Usage(w, usage);
        });
    }

    /// <summary>One streaming chunk for an update; null when the update carries nothing a client shows.</summary>
    public static byte[]? Chunk(ChatResponseUpdate update, string model, bool first, ref int toolCallIndex)
    {
        var text = string.Concat(update.Contents.OfType<AI.TextContent>().Select(t => t.Text));
        var reasoning = string.Concat(update.Contents.OfType<TextReasoningContent>().Select(r => r.Text));
        var calls = update.Contents.OfType<FunctionCallContent>().ToList();
        if (!first && text.Length == 0 && reasoning.Length == 0 && calls.Count == 0 && update.FinishReason is null) return null;

        var index = toolCallIndex;
        toolCallIndex += calls.Count;
        return Write(w =>
        {
            Header(w, update.ResponseId, "chat.completion.chunk", update.CreatedAt, model);
            w.WriteStartArray("choices");
            w.WriteStartObject();
            w.WriteNumber("index", 0);
            w.WriteStartObject("delta");
            if (first) w.WriteString("role", "assistant");
            if (text.Length > 0 || first) w.WriteString("content", text);
            if (reasoning.Length > 0) w.WriteString("reasoning_content", reasoning);
            if (calls.Count > 0)
            {
                w.WriteStartArray("tool_calls");
                for (var i = 0; i < calls.Count; i++) ToolCall(w, calls[i], index + i);
                w.WriteEndArray();
            }
            w.WriteEndObject();
            if (update.FinishReason is { } finish) w.WriteString("finish_reason", FinishReason(finish));
            else w.WriteNull("finish_reason");
            w.WriteEndObject();
            w.WriteEndArray();
        });
    }

    /// <summary>The chunk OpenAI sends last when <c>stream_options.include_usage</c> is set: no choices, only usage.</summary>
    public static byte[] UsageChunk(string? id, DateTimeOffset? created, string model, UsageDetails usage) => Write(w =>
    {
        Header(w, id, "chat.completion.chunk", created, model);
        w.WriteStartArray("choices");
        w.WriteEndArray();
        Usage(w, usage);
    });

    public static byte[] Models(string model) => Write(w =>
    {
        w.WriteString("object", "list");
        w.WriteStartArray("data");
        w.WriteStartObject();
        w.WriteString("id", model);
        w.WriteString("object", "model");
        w.WriteNumber("created", 0);
        w.WriteString("owned_by", "gpt-oss");
        w.WriteEndObject();
        w.WriteEndArray();
    });

    /// <summary><c>GET /api/ps</c>: the loaded model, in the shape of Ollama's list of running models.</summary>
    public static byte[] Loaded(ServedModel served) => Write(w =>
    {
        w.WriteStartArray("models");
        w.WriteStartObject();
        w.WriteString("name", served.Id);
        w.WriteString("model", served.Model.Name);
        w.WriteString("backend", served.Backend);
        w.WriteNumber("context_length", served.Model.ContextLength);
        w.WriteNumber("vocabulary_size", served.Model.VocabularySize);
        w.WriteString("loaded_at", served.LoadedAt);
        w.WriteEndObject();
        w.WriteEndArray();
    });

    public static byte[] Error(string message, string type, string? param = null, string? code = null) => Write(w =>
    {
        w.WriteStartObject("error");
        w.WriteString("message", message);
        w.WriteString("type", type);
        if (param is null) w.WriteNull("param");
        else w.WriteString("param", param);
        if (code is null) w.WriteNull("code");
        else w.WriteString("code", code);
        w.WriteEndObject();
    });

    private static void ToolCall(Utf8JsonWriter w, FunctionCallContent call, int? index)
    {
        w.WriteStartObject();
        if (index is { } i) w.WriteNumber("index", i);
        w.WriteString("id", call.CallId);
        w.WriteString("type", "function");
        w.WriteStartObject("function");
        w.WriteString("name", call.Name);
        w.WriteString("arguments", call.RawRepresentation is Message harmony
            ? harmony.Text
            : JsonSerializer.Serialize(call.Arguments ?? new Dictionary<string, object?>(), AIJsonUtilities.DefaultOptions));
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void Header(Utf8JsonWriter w, string? id, string kind, DateTimeOffset? created, string model)
    {
        w.WriteString("id", id ?? "chatcmpl-gptoss");
        w.WriteString("object", kind);
        w.WriteNumber("created", (created ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds());
        w.WriteString("model", model);
    }

    private static void Usage(Utf8JsonWriter w, UsageDetails usage)
    {
        w.WriteStartObject("usage");
        w.WriteNumber("prompt_tokens", usage.InputTokenCount ?? 0);
        w.WriteNumber("completion_tokens", usage.OutputTokenCount ?? 0);
        w.WriteNumber("total_tokens", usage.TotalTokenCount ?? 0);
        w.WriteStartObject("prompt_tokens_details");
        w.WriteNumber("cached_tokens", usage.CachedInputTokenCount ?? 0);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static string FinishReason(ChatFinishReason? reason) =>
        reason == ChatFinishReason.ToolCalls ? "tool_calls"
        : reason == ChatFinishReason.Length ? "length"
        : "stop";

    private static byte[] Write(Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }
}
