using GptOss.Generation;
using GptOss.Harmony;
using GptOss.Tools;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace GptOss.SemanticKernel;

/// <summary>
/// gpt-oss as a Microsoft.Extensions.AI <see cref="IChatClient"/>, a thin adapter over
/// <see cref="HarmonyChatPipeline"/>. Reasoning comes back as <see cref="TextReasoningContent"/>, calls as
/// <see cref="FunctionCallContent"/> (never as text), usage as <see cref="UsageDetails"/>. It does not invoke
/// functions itself: wrap it with <c>UseKernelFunctionInvocation()</c> or <c>UseFunctionInvocation()</c>.
/// Hosted tools (<see cref="HostedCodeInterpreterTool"/>, <see cref="HostedWebSearchTool"/>) are different: they run
/// inside the call on gpt-oss's own python and browser from <paramref name="hostedTools"/>, as a hosted service runs
/// them, and are reported as <see cref="CodeInterpreterToolCallContent"/>/<see cref="WebSearchToolCallContent"/> and
/// their results. In streaming, each harmony message has its own <see cref="ChatResponseUpdate.MessageId"/>.
/// The tools of a <see cref="HostedMcpServerTool"/> it runs too, inside the call (see <see cref="HostedMcpTools"/>).
/// </summary>
public sealed class GptOssChatClient(
    HarmonyChatPipeline pipeline, GptOssOptions options, TimeProvider? timeProvider = null, IToolExecutorFactory? hostedTools = null) : IChatClient
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
        var contents = new List<AIContent>();
        GenerationCompleted? end = null;
        await foreach (var e in RunAsync(messages, chatOptions, cancellationToken).ConfigureAwait(false))
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
                case HostedToolEvent hosted:
                    contents.Add(hosted.Content);
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
        var responseId = NewResponseId();
        var created = _time.GetUtcNow();
        var messageId = NewMessageId();
        await foreach (var e in RunAsync(messages, chatOptions, cancellationToken).ConfigureAwait(false))
        {
            AIContent? content = e switch
            {
                ReasoningDelta d => new TextReasoningContent(d.Text),
                PreambleDelta d => new Microsoft.Extensions.AI.TextContent(d.Text),
                AnswerDelta d => new Microsoft.Extensions.AI.TextContent(d.Text),
                ToolCallRequested { Call: var call } => HarmonyConversation.ToFunctionCall(call, HarmonyConversation.NewCallId()),
                HostedToolEvent hosted => hosted.Content,
                GenerationCompleted completed => new UsageContent(ToUsage(completed.Usage)),
                _ => null,
            };
            if (e is MessageCompleted) messageId = NewMessageId();
            if (content is null) continue;
            yield return new ChatResponseUpdate(ChatRole.Assistant, [content])
            {
                ResponseId = responseId,
                MessageId = messageId,
                ModelId = options.ModelId,
                CreatedAt = created,
                FinishReason = e is GenerationCompleted c ? ToFinishReason(c.FinishReason) : null,
                RawRepresentation = e,
            };
            if (e is HostedToolEvent) messageId = NewMessageId();
        }
    }

    /// <summary>
    /// The pipeline's events, with hosted tool calls run in between: such a call is reported and answered as a
    /// <see cref="HostedToolEvent"/> pair (never as <see cref="ToolCallRequested"/>) and the model goes on. One
    /// <see cref="GenerationCompleted"/> ends it all, with the usage of every step.
    /// </summary>
    private async IAsyncEnumerable<HarmonyChatEvent> RunAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? chatOptions, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var hosted = await HostedTools.ForAsync(chatOptions, hostedTools).ConfigureAwait(false);
        var request = HarmonyConversation.ToRequest(messages, chatOptions, options, _time.GetUtcNow(), hosted?.Namespaces);
        var conversation = request.Messages.ToList();
        HarmonyChatUsage? usage = null;
        for (var calls = 0; ; calls++)
        {
            GenerationCompleted? end = null;
            HarmonyToolCall? hostedCall = null;
            await foreach (var e in pipeline.RunAsync(request with { Messages = conversation }, cancellationToken).ConfigureAwait(false))
            {
                if (e is GenerationCompleted completed) end = completed;
                else if (e is ToolCallRequested { Call: var call } && hosted?.Handles(call) == true) hostedCall = call;
                else yield return e;
            }
            if (end is null) yield break;
            usage = usage is null ? end.Usage : Sum(usage, end.Usage);
            if (hosted is null || hostedCall is null || end.FinishReason != HarmonyFinishReason.ToolCalls)
            {
                yield return end with { Usage = usage };
                yield break;
            }
            if (calls == HostedTools.MaxCallsPerResponse)
            {
                yield return end with { FinishReason = HarmonyFinishReason.Length, Usage = usage };
                yield break;
            }
            var callId = HarmonyConversation.NewCallId();
            yield return new HostedToolEvent(hosted.Describe(hostedCall, callId));
            var result = await hosted.RunAsync(hostedCall, callId, cancellationToken).ConfigureAwait(false);
            yield return new HostedToolEvent(result);
            conversation.AddRange(end.Messages);
            conversation.AddRange((IReadOnlyList<Message>)result.RawRepresentation!);
        }
    }

    private static HarmonyChatUsage Sum(HarmonyChatUsage a, HarmonyChatUsage b) => new(
        a.PromptTokens + b.PromptTokens, a.CachedPromptTokens + b.CachedPromptTokens, a.CompletionTokens + b.CompletionTokens,
        a.PrefillTime + b.PrefillTime, a.DecodeTime + b.DecodeTime);

    /// <summary>A hosted tool's call or result, between two generations of one response.</summary>
    private sealed record HostedToolEvent(AIContent Content) : HarmonyChatEvent;

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

    private static string NewMessageId() => "msg_" + Guid.NewGuid().ToString("N")[..24];
}
