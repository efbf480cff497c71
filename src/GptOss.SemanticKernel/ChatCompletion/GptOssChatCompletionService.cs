using GptOss.Generation;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;
using Microsoft.SemanticKernel.Services;

namespace GptOss.SemanticKernel;

/// <summary>
/// gpt-oss as a Semantic Kernel <see cref="IChatCompletionService"/>. A thin adapter: the request goes through
/// <see cref="GptOssChatClient"/> wrapped in SK's own <c>UseKernelFunctionInvocation()</c> loop, so
/// <c>FunctionChoiceBehavior.Auto()</c> and <see cref="IAutoFunctionInvocationFilter"/>s work as with SK's
/// connectors, streaming included. Unlike SK's generic bridge it keeps reasoning: it is returned as
/// <see cref="ReasoningContent"/> / <see cref="StreamingReasoningContent"/>, never as answer text.
/// Usage (<see cref="UsageDetails"/>) is in <c>Metadata["Usage"]</c>.
/// </summary>
public sealed class GptOssChatCompletionService : IChatCompletionService
{
    private readonly IChatClient _client;
    private readonly GptOssOptions _options;

    public GptOssChatCompletionService(
        HarmonyChatPipeline pipeline, GptOssOptions options, ILoggerFactory? loggerFactory = null, IServiceProvider? services = null)
    {
        _options = options;
        _client = new GptOssChatClient(pipeline, options)
            .AsBuilder()
            .UseKernelFunctionInvocation(loggerFactory)
            .Build(services);
        Attributes = new Dictionary<string, object?> { [AIServiceExtensions.ModelIdKey] = options.ModelId };
    }

    public IReadOnlyDictionary<string, object?> Attributes { get; }

    public async Task<IReadOnlyList<ChatMessageContent>> GetChatMessageContentsAsync(
        ChatHistory chatHistory, PromptExecutionSettings? executionSettings = null, Kernel? kernel = null,
        CancellationToken cancellationToken = default)
    {
        var response = await _client.GetResponseAsync(
            SemanticKernelMessages.ToChatMessages(chatHistory), ToChatOptions(executionSettings, kernel), cancellationToken)
            .ConfigureAwait(false);
        if (response.Messages.Count == 0) return [];

        // The tool loop's messages (calls, results) join the history; the last one is the answer.
        foreach (var message in response.Messages.Take(response.Messages.Count - 1))
        {
            chatHistory.Add(SemanticKernelMessages.ToChatMessageContent(message, kernel, _options.ModelId));
        }
        var answer = SemanticKernelMessages.ToChatMessageContent(response.Messages[^1], kernel, _options.ModelId);
        answer.InnerContent = response;
        answer.Metadata = new Dictionary<string, object?>
        {
            ["Usage"] = response.Usage,
            ["FinishReason"] = response.FinishReason?.Value,
        };
        return [answer];
    }

    public async IAsyncEnumerable<StreamingChatMessageContent> GetStreamingChatMessageContentsAsync(
        ChatHistory chatHistory, PromptExecutionSettings? executionSettings = null, Kernel? kernel = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var update in _client.GetStreamingResponseAsync(
            SemanticKernelMessages.ToChatMessages(chatHistory), ToChatOptions(executionSettings, kernel), cancellationToken)
            .ConfigureAwait(false))
        {
            // Calls and results are whole messages in the history, as with SK's other connectors.
            foreach (var content in update.Contents)
            {
                if (content is Microsoft.Extensions.AI.FunctionCallContent or Microsoft.Extensions.AI.FunctionResultContent)
                {
                    var role = content is Microsoft.Extensions.AI.FunctionCallContent ? ChatRole.Assistant : ChatRole.Tool;
                    chatHistory.Add(SemanticKernelMessages.ToChatMessageContent(new ChatMessage(role, [content]), kernel, _options.ModelId));
                }
            }
            yield return SemanticKernelMessages.ToStreamingContent(update, kernel, _options.ModelId);
        }
    }

    /// <summary>
    /// SK settings → M.E.AI options: SK builds the tool list and the kernel-aware options its invocation loop
    /// needs; the sampling fields come from <see cref="GptOssPromptExecutionSettings"/>.
    /// </summary>
    internal static ChatOptions ToChatOptions(PromptExecutionSettings? executionSettings, Kernel? kernel)
    {
        var settings = GptOssPromptExecutionSettings.FromExecutionSettings(executionSettings);
        var options = new PromptExecutionSettings
        {
            ServiceId = settings.ServiceId,
            ModelId = settings.ModelId,
            FunctionChoiceBehavior = settings.FunctionChoiceBehavior,
        }.ToChatOptions(kernel);

        options.Temperature = settings.Temperature;
        options.TopP = settings.TopP;
        options.MaxOutputTokens = settings.MaxTokens;
        options.Seed = settings.Seed;
        options.StopSequences = settings.Stop;
        options.ResponseFormat = SemanticKernelResponseFormat.ToChatResponseFormat(settings.ResponseFormat);
        if (settings.MaxReasoningTokens is { } budget)
        {
            (options.AdditionalProperties ??= [])[ChatOptionsConstraint.MaxReasoningTokensKey] = budget;
        }
        if (settings.ReasoningEffort is { } effort)
        {
            options.Reasoning = new ReasoningOptions
            {
                Effort = HarmonyConversation.ParseReasoningEffort(effort) switch
                {
                    Harmony.ReasoningEffort.Low => Microsoft.Extensions.AI.ReasoningEffort.Low,
                    Harmony.ReasoningEffort.Medium => Microsoft.Extensions.AI.ReasoningEffort.Medium,
                    _ => Microsoft.Extensions.AI.ReasoningEffort.High,
                },
            };
        }
        return options;
    }
}
