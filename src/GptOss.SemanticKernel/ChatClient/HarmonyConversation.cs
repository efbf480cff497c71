using GptOss.Generation;
using System.Text.Json;
using GptOss.Harmony;
using Microsoft.Extensions.AI;
using HarmonyEffort = GptOss.Harmony.ReasoningEffort;
using HarmonyMessage = GptOss.Harmony.Message;
using HarmonyText = GptOss.Harmony.TextContent;

namespace GptOss.SemanticKernel;

/// <summary>
/// Microsoft.Extensions.AI chat messages and options → a harmony request:
/// a system message (identity, reasoning effort, date), a developer message (every system-role text as
/// <c># Instructions</c>, the offered functions as the <c>functions</c> namespace), then the turns. Assistant
/// reasoning becomes <c>analysis</c>, text becomes <c>final</c> (or a <c>commentary</c> preamble when the message
/// also calls functions), a call becomes <c>to=functions.X</c> with <c>&lt;|constrain|&gt;json</c>, and a result
/// becomes <c>functions.X to=assistant</c> on the call's channel. Contents that came from this model carry their
/// harmony message as <see cref="AIContent.RawRepresentation"/> and are rendered back verbatim; so are a hosted
/// tool's call and result (code interpreter, web search), whose built-in tools go in the system message.
/// </summary>
public static class HarmonyConversation
{
    /// <summary>Builds the harmony request for <paramref name="messages"/> and <paramref name="options"/>.</summary>
    /// <param name="builtinTools">Built-in tool namespaces (python, browser) for the system message: the hosted tools asked for.</param>
    /// <exception cref="ArgumentException">A message holds content gpt-oss cannot read (images, audio) or a result answers no known call.</exception>
    public static HarmonyChatRequest ToRequest(
        IEnumerable<ChatMessage> messages, ChatOptions? options, GptOssOptions defaults, DateTimeOffset now,
        IReadOnlyList<ToolNamespaceConfig>? builtinTools = null)
    {
        var history = messages.ToList();
        var instructions = new List<string>();
        if (!string.IsNullOrWhiteSpace(options?.Instructions)) instructions.Add(options.Instructions!);
        instructions.AddRange(history.Where(m => m.Role == ChatRole.System).Select(m => m.Text).Where(t => t.Length > 0));

        var functions = ChatOptionsConstraint.OfferedFunctions(options);
        if (options?.ResponseFormat is ChatResponseFormatJson format) instructions.Add(ResponseFormatSection.Render(format));

        var result = new List<HarmonyMessage>
        {
            HarmonyMessage.FromRole(Role.System, new SystemContent
            {
                ModelIdentity = defaults.ModelIdentity,
                ReasoningEffort = ReasoningEffortOf(options) ?? defaults.ReasoningEffort,
                ConversationStartDate = defaults.IncludeCurrentDate ? now.UtcDateTime.ToString("yyyy-MM-dd") : null,
                Tools = builtinTools is { Count: > 0 } ? builtinTools.ToDictionary(n => n.Name) : null,
            }),
        };
        if (instructions.Count > 0 || functions.Count > 0)
        {
            result.Add(HarmonyMessage.FromRole(Role.Developer, new DeveloperContent
            {
                Instructions = instructions.Count > 0 ? string.Join("\n\n", instructions) : null,
                Tools = functions.Count > 0
                    ? new Dictionary<string, ToolNamespaceConfig> { [KernelFunctionTools.Namespace] = KernelFunctionTools.ToNamespace(functions) }
                    : null,
            }));
        }

        var calls = new Dictionary<string, HarmonyMessage>(StringComparer.Ordinal);
        foreach (var message in history.Where(m => m.Role != ChatRole.System))
        {
            if (message.Role == ChatRole.User) result.Add(HarmonyMessage.FromRole(Role.User, TextOf(message)));
            else if (message.Role == ChatRole.Assistant) result.AddRange(AssistantMessages(message, calls));
            else if (message.Role == ChatRole.Tool) result.AddRange(ToolMessages(message, calls));
            else throw new ArgumentException($"Chat role '{message.Role}' has no harmony equivalent.", nameof(messages));
        }

        return new HarmonyChatRequest(result)
        {
            Generation = new GenerationOptions
            {
                MaxNewTokens = options?.MaxOutputTokens ?? defaults.MaxTokens,
                Temperature = options?.Temperature ?? defaults.Temperature,
                TopP = options?.TopP ?? defaults.TopP,
                Seed = options?.Seed,
            },
            StopSequences = options?.StopSequences?.ToList() ?? [],
            Constraint = ChatOptionsConstraint.From(options),
        };
    }

    /// <summary>The M.E.AI function call for a harmony call; arguments that are not a JSON object set <see cref="FunctionCallContent.Exception"/>.</summary>
    public static FunctionCallContent ToFunctionCall(HarmonyToolCall call, string callId)
    {
        var name = call.Namespace == KernelFunctionTools.Namespace && call.Name is { } n ? n : call.Recipient;
        var content = FunctionCallContent.CreateFromParsedArguments(call.Arguments, callId, name, ParseArguments);
        content.RawRepresentation = call.Message;
        return content;
    }

    /// <summary>
    /// The M.E.AI call for a <c>functions.{name}</c> call a client sends back, its arguments text kept verbatim as
    /// the harmony message so the prompt matches what the model wrote (and what the engine cached).
    /// </summary>
    public static FunctionCallContent ToFunctionCall(string callId, string name, string arguments)
    {
        var recipient = $"{KernelFunctionTools.Namespace}.{name}";
        var message = HarmonyMessage.FromRole(Role.Assistant, arguments) with
        {
            Recipient = recipient,
            Channel = "commentary",
            ContentType = "<|constrain|>json",
        };
        return ToFunctionCall(new HarmonyToolCall(recipient, "commentary", "<|constrain|>json", arguments, message), callId);
    }

    /// <summary>A fresh, never empty tool-call id.</summary>
    public static string NewCallId() => "call_" + Guid.NewGuid().ToString("N")[..24];

    private static IDictionary<string, object?>? ParseArguments(string json) =>
        string.IsNullOrWhiteSpace(json)
            ? new Dictionary<string, object?>()
            : JsonSerializer.Deserialize<Dictionary<string, object?>>(json, AIJsonUtilities.DefaultOptions);

    private static HarmonyEffort? ReasoningEffortOf(ChatOptions? options)
    {
        if (options?.Reasoning?.Effort is { } effort)
        {
            return effort switch
            {
                Microsoft.Extensions.AI.ReasoningEffort.Low or Microsoft.Extensions.AI.ReasoningEffort.None => HarmonyEffort.Low,
                Microsoft.Extensions.AI.ReasoningEffort.Medium => HarmonyEffort.Medium,
                _ => HarmonyEffort.High,
            };
        }
        if (options?.AdditionalProperties?.TryGetValue("reasoning_effort", out var value) == true && value?.ToString() is { } text)
        {
            return ParseReasoningEffort(text);
        }
        return null;
    }

    /// <summary>Parses <c>low</c>/<c>medium</c>/<c>high</c> (any case).</summary>
    /// <exception cref="ArgumentException">Any other value.</exception>
    public static HarmonyEffort ParseReasoningEffort(string text) =>
        Enum.TryParse<HarmonyEffort>(text, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed)
            ? parsed
            : throw new ArgumentException($"reasoning_effort must be low, medium or high, not '{text}'.");

    private static string TextOf(ChatMessage message)
    {
        var unsupported = message.Contents.FirstOrDefault(c => c is not Microsoft.Extensions.AI.TextContent and not TextReasoningContent);
        if (unsupported is not null)
        {
            throw new ArgumentException($"gpt-oss reads text only: a {message.Role} message holds {unsupported.GetType().Name}.");
        }
        return string.Concat(message.Contents.OfType<Microsoft.Extensions.AI.TextContent>().Select(t => t.Text));
    }

    private static IEnumerable<HarmonyMessage> AssistantMessages(ChatMessage message, Dictionary<string, HarmonyMessage> calls)
    {
        var callsFunctions = message.Contents.Any(c => c is FunctionCallContent);
        foreach (var content in message.Contents)
        {
            switch (content)
            {
                case TextReasoningContent r when r.RawRepresentation is HarmonyMessage raw:
                    yield return raw;
                    break;
                case TextReasoningContent r when r.Text.Length > 0:
                    yield return Assistant(r.Text, "analysis");
                    break;
                case Microsoft.Extensions.AI.TextContent t when t.RawRepresentation is HarmonyMessage raw:
                    yield return raw;
                    break;
                case Microsoft.Extensions.AI.TextContent t when t.Text.Length > 0:
                    yield return Assistant(t.Text, callsFunctions ? "commentary" : "final");
                    break;
                case FunctionCallContent call:
                    var harmony = call.RawRepresentation as HarmonyMessage ?? new HarmonyMessage(
                        new Author(Role.Assistant),
                        [new HarmonyText(JsonSerializer.Serialize(call.Arguments ?? new Dictionary<string, object?>(), KernelFunctionTools.CompactJson))])
                    {
                        Recipient = call.Name.Contains('.') ? call.Name : $"{KernelFunctionTools.Namespace}.{call.Name}",
                        Channel = "commentary",
                        ContentType = "<|constrain|>json",
                    };
                    calls[call.CallId] = harmony;
                    yield return harmony;
                    break;
                case ToolCallContent { RawRepresentation: HarmonyMessage raw }:
                    yield return raw;
                    break;
                case ToolResultContent { RawRepresentation: IReadOnlyList<HarmonyMessage> replies }:
                    foreach (var reply in replies) yield return reply;
                    break;
                // A hosted call from elsewhere (without its harmony messages) belongs to a finished turn's analysis,
                // which the prompt drops anyway.
                case Microsoft.Extensions.AI.TextContent or TextReasoningContent or UsageContent
                    or CodeInterpreterToolCallContent or CodeInterpreterToolResultContent or WebSearchToolCallContent or WebSearchToolResultContent:
                    break;
                default:
                    throw new ArgumentException($"gpt-oss reads text only: an assistant message holds {content.GetType().Name}.");
            }
        }
    }

    private static IEnumerable<HarmonyMessage> ToolMessages(ChatMessage message, Dictionary<string, HarmonyMessage> calls)
    {
        foreach (var result in message.Contents.OfType<FunctionResultContent>())
        {
            if (!calls.TryGetValue(result.CallId, out var call))
            {
                throw new ArgumentException($"The tool result for call id '{result.CallId}' answers no earlier function call.");
            }
            var text = result.Exception is { } e ? $"Error: {e.Message}" : KernelFunctionTools.ResultText(result.Result);
            yield return HarmonyMessage.FromAuthor(new Author(Role.Tool, call.Recipient), text) with
            {
                Recipient = "assistant",
                Channel = call.Channel,
            };
        }
    }

    private static HarmonyMessage Assistant(string text, string channel) =>
        HarmonyMessage.FromRole(Role.Assistant, text) with { Channel = channel };
}
