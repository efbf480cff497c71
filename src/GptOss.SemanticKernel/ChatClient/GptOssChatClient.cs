using GptOss.Generation;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace GptOss.SemanticKernel;

/// <summary>
/// gpt-oss as a Microsoft.Extensions.AI <see cref="IChatClient"/>, a thin adapter over
/// <see cref="HarmonyChatPipeline"/>. Reasoning comes back as <see cref="TextReasoningContent"/>, calls as
/// <see cref="FunctionCallContent"/> (never as text), usage as <see cref="UsageDetails"/>. It does not invoke
/// functions itself: wrap it with <c>UseKernelFunctionInvocation()</c> or <c>UseFunctionInvocation()</c>. The tools of a
/// <see cref="HostedMcpServerTool"/> it does run, inside the call (see <see cref="HostedMcpTools"/>).
/// </summary>
public sealed class GptOssChatClient(HarmonyChatPipeline pipeline, GptOssOptions options, TimeProvider? timeProvider = null) : IChatClient
{
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;
    private readonly ChatClientMetadata _metadata = new("gpt-oss", null, options.ModelId);

    public Task<ChatResponse> GetResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? chatOptions = null, CancellationToken cancellationToken = default) =>
        HostedMcpTools.AreIn(chatOptions)
            ? HostedMcpTools.GetResponseAsync(GetModelResponseAsync, messages, chatOptions!, cancellationToken)
            : GetModelResponseAsync(messages, chatOptions, cancellationToken);

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? chatOptions = null, CancellationToken cancellationToken = default) =>
        HostedMcpTools.AreIn(chatOptions)
            ? HostedMcpTools.GetStreamingResponseAsync(GetModelStreamingResponseAsync, messages, chatOptions!, cancellationToken)
            : GetModelStreamingResponseAsync(messages, chatOptions, cancellationToken);

    /// <summary>One model turn: what the model says, with its calls returned, not run.</summary>
    private async Task<ChatResponse> GetModelResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? chatOptions, CancellationToken cancellationToken)
    {
        var request = HarmonyConversation.ToRequest(messages, chatOptions, options, _time.GetUtcNow());
        var contents = new List<AIContent>();
        GenerationCompleted? end = null;
        await foreach (var e in pipeline.RunAsync(request, cancellationToken).ConfigureAwait(false))
        {
            switch (e)
            {
                case MessageCompleted { Message: var m } when !m.IsToolCall && m.Text.Length > 0:
                    contents.Add(m.Channel == "analysis"
                        ? new TextReasoningContent(m.Text) { RawRepresentation = m }
                        : new Microsoft.Extensions.AI.TextContent(m.Text) { RawRepresentation = m });
                    break;
                case ToolCallRequested { Call: var call }:
                    contents.Add(HarmonyConversation.ToFunctionCall(call, HarmonyConversation.NewCallId()));
                    break;
                case GenerationCompleted completed:
                    end = completed;
                    break;
            }
        }

        var responseId = NewResponseId();
        return new ChatResponse(new ChatMessage(ChatRole.Assistant, contents) { MessageId = responseId })
        {
            ResponseId = responseId,
            ModelId = options.ModelId,
            CreatedAt = _time.GetUtcNow(),
            FinishReason = end is null ? null : ToFinishReason(end.FinishReason),
            Usage = end is null ? null : ToUsage(end.Usage),
        };
    }

    private async IAsyncEnumerable<ChatResponseUpdate> GetModelStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? chatOptions, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var request = HarmonyConversation.ToRequest(messages, chatOptions, options, _time.GetUtcNow());
        var responseId = NewResponseId();
        var created = _time.GetUtcNow();
        await foreach (var e in pipeline.RunAsync(request, cancellationToken).ConfigureAwait(false))
        {
            AIContent? content = e switch
            {
                ReasoningDelta d => new TextReasoningContent(d.Text),
                PreambleDelta d => new Microsoft.Extensions.AI.TextContent(d.Text),
                AnswerDelta d => new Microsoft.Extensions.AI.TextContent(d.Text),
                ToolCallRequested { Call: var call } => HarmonyConversation.ToFunctionCall(call, HarmonyConversation.NewCallId()),
                GenerationCompleted completed => new UsageContent(ToUsage(completed.Usage)),
                _ => null,
            };
            if (content is null) continue;
            yield return new ChatResponseUpdate(ChatRole.Assistant, [content])
            {
                ResponseId = responseId,
                MessageId = responseId,
                ModelId = options.ModelId,
                CreatedAt = created,
                FinishReason = e is GenerationCompleted c ? ToFinishReason(c.FinishReason) : null,
            };
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is not null ? null
        : serviceType == typeof(ChatClientMetadata) ? _metadata
        : serviceType == typeof(HarmonyChatPipeline) ? pipeline
        : serviceType.IsInstanceOfType(this) ? this
        : null;

    public void Dispose()
    {
    }

    /// <summary>Pipeline counts as M.E.AI usage (cached prompt tokens included).</summary>
    public static UsageDetails ToUsage(HarmonyChatUsage usage) => new()
    {
        InputTokenCount = usage.PromptTokens,
        CachedInputTokenCount = usage.CachedPromptTokens,
        OutputTokenCount = usage.CompletionTokens,
        TotalTokenCount = usage.TotalTokens,
    };

    public static ChatFinishReason ToFinishReason(HarmonyFinishReason reason) => reason switch
    {
        HarmonyFinishReason.ToolCalls => ChatFinishReason.ToolCalls,
        HarmonyFinishReason.Length => ChatFinishReason.Length,
        _ => ChatFinishReason.Stop,
    };

    private static string NewResponseId() => "chatcmpl-" + Guid.NewGuid().ToString("N")[..24];
}
