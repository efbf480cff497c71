using System.Collections.Concurrent;
using Microsoft.Extensions.AI;

namespace GptOss.Cli.Server;

/// <summary>
/// The chain of thought behind each tool call this server returned, by call id. gpt-oss needs its reasoning next
/// to the tool result during a tool loop, but OpenAI clients send assistant tool calls back without
/// <c>reasoning_content</c>; restoring it keeps the model on track and the prompt identical to what the engine
/// has cached. Bounded: the oldest calls are forgotten first.
/// </summary>
internal sealed class ToolCallReasoningMemory(int capacity = 1024)
{
    private readonly ConcurrentDictionary<string, TextReasoningContent[]> _byCallId = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _order = new();

    /// <summary>Remembers <paramref name="reasoning"/> as the thought behind <paramref name="calls"/>.</summary>
    public void Remember(IEnumerable<FunctionCallContent> calls, IReadOnlyList<TextReasoningContent> reasoning)
    {
        if (reasoning.Count == 0) return;
        foreach (var call in calls)
        {
            if (!_byCallId.TryAdd(call.CallId, [.. reasoning])) continue;
            _order.Enqueue(call.CallId);
            while (_order.Count > capacity && _order.TryDequeue(out var oldest)) _byCallId.TryRemove(oldest, out _);
        }
    }

    /// <summary>Puts remembered reasoning back into assistant messages whose calls arrive without it.</summary>
    public void Restore(IEnumerable<ChatMessage> messages)
    {
        foreach (var message in messages.Where(m => m.Role == ChatRole.Assistant))
        {
            if (message.Contents.Any(c => c is TextReasoningContent)) continue;
            if (message.Contents.OfType<FunctionCallContent>().FirstOrDefault() is { } call
                && _byCallId.TryGetValue(call.CallId, out var reasoning))
            {
                for (var i = reasoning.Length - 1; i >= 0; i--) message.Contents.Insert(0, reasoning[i]);
            }
        }
    }
}
