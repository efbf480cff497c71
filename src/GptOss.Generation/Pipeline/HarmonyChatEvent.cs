using GptOss.Generation;
using GptOss.Harmony;

namespace GptOss.Generation;

/// <summary>One thing that happened while the model answered: a streamed delta, a finished message, or the end.</summary>
public abstract record HarmonyChatEvent;

/// <summary>Chain-of-thought text (channel <c>analysis</c>); never part of the answer.</summary>
public sealed record ReasoningDelta(string Text) : HarmonyChatEvent;

/// <summary>Text to the user on channel <c>commentary</c> without a recipient (a preamble before tool calls).</summary>
public sealed record PreambleDelta(string Text) : HarmonyChatEvent;

/// <summary>Answer text (channel <c>final</c>, or no channel).</summary>
public sealed record AnswerDelta(string Text) : HarmonyChatEvent;

/// <summary>
/// A finished assistant message, in generation order (analysis, preamble, tool call, final). Appending these to
/// the conversation is what keeps the chain of thought next to a tool result.
/// </summary>
public sealed record MessageCompleted(Message Message) : HarmonyChatEvent;

/// <summary>A finished message addressed to a tool; raised right after its <see cref="MessageCompleted"/>.</summary>
public sealed record ToolCallRequested(HarmonyToolCall Call) : HarmonyChatEvent;

/// <summary>The model's output did not follow harmony; the pipeline kept going and says what it skipped.</summary>
public sealed record OutputProblem(string Description) : HarmonyChatEvent;

/// <summary>The last event: every parsed message, why generation ended, and the token counts.</summary>
public sealed record GenerationCompleted(
    IReadOnlyList<Message> Messages, HarmonyFinishReason FinishReason, HarmonyChatUsage Usage) : HarmonyChatEvent;

/// <summary>
/// A call the model addressed to <see cref="Recipient"/> (<c>functions.get_weather</c>, <c>browser.search</c>,
/// <c>python</c>). <see cref="Arguments"/> is the raw message text: it may be invalid JSON, which the caller
/// answers with an error message to the model rather than failing.
/// </summary>
public sealed record HarmonyToolCall(string Recipient, string? Channel, string? ContentType, string Arguments, Message Message)
{
    /// <summary>The part of the recipient before the first dot (<c>functions</c>), or the whole recipient.</summary>
    public string Namespace => Recipient.Split('.', 2)[0];

    /// <summary>The part after the first dot (<c>get_weather</c>), or null for a bare recipient such as <c>python</c>.</summary>
    public string? Name => Recipient.Split('.', 2) is [_, var name] ? name : null;

    /// <summary>The tool's reply as harmony wants it: from the recipient, to the assistant, on the call's channel.</summary>
    public Message Reply(string content) =>
        Message.FromAuthor(new Author(Role.Tool, Recipient), content) with { Recipient = "assistant", Channel = Channel };
}

/// <summary>Why the model stopped.</summary>
public enum HarmonyFinishReason
{
    /// <summary>A final answer ended with <c>&lt;|return|&gt;</c>, a stop sequence, or the end of output.</summary>
    Stop,
    /// <summary>The last message is a tool call (<c>&lt;|call|&gt;</c>): run it and generate again.</summary>
    ToolCalls,
    /// <summary>The token limit was reached.</summary>
    Length,
}

/// <summary>Token counts of one generation. <see cref="CachedPromptTokens"/> of the prompt came from the KV cache.</summary>
public sealed record HarmonyChatUsage(
    int PromptTokens, int CachedPromptTokens, int CompletionTokens, TimeSpan PrefillTime, TimeSpan DecodeTime)
{
    public int TotalTokens => PromptTokens + CompletionTokens;
}
