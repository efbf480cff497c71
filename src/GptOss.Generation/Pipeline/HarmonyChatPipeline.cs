using System.Runtime.CompilerServices;
using GptOss.Constraints;
using GptOss.Harmony;

namespace GptOss.Generation;

/// <summary>
/// The one path from a harmony conversation to the model and back, shared by every front door (the Semantic
/// Kernel service, the <c>IChatClient</c>, the HTTP server, the agent runner): render the conversation for
/// completion, stream tokens from the <see cref="ITokenGenerator"/> until <c>&lt;|return|&gt;</c> or
/// <c>&lt;|call|&gt;</c>, parse them leniently, and raise <see cref="HarmonyChatEvent"/>s. A request's
/// <see cref="HarmonyChatRequest.Constraint"/> is compiled (cached by content) into the call's token constraint.
/// Safe to share: it holds no per-call state, and the generator serializes calls.
/// </summary>
public sealed class HarmonyChatPipeline(ITokenGenerator generator)
{
    private static readonly HarmonyRenderer Renderer = new();

    public ModelDescriptor Model => generator.Model;

    /// <summary>
    /// The prompt tokens for <paramref name="messages"/>: chain of thought of finished turns is dropped (every
    /// <c>analysis</c> message before the last <c>final</c> answer), the current tool loop's is kept, and the
    /// conversation is primed with <c>&lt;|start|&gt;assistant</c>.
    /// </summary>
    public static IReadOnlyList<int> RenderPrompt(IReadOnlyList<Message> messages) =>
        Renderer.RenderConversationForCompletion(
            DropCompletedReasoning(messages), Role.Assistant, new RenderConversationConfig { AutoDropAnalysis = false });

    /// <summary>Generates the assistant's next messages, streaming events; the last one is <see cref="GenerationCompleted"/>.</summary>
    public async IAsyncEnumerable<HarmonyChatEvent> RunAsync(
        HarmonyChatRequest request, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var prompt = request.Prompt ?? RenderPrompt(request.Messages);
        var options = request.Generation with
        {
            StopTokens = new HashSet<int>(request.Generation.StopTokens.Concat(HarmonyTokens.StopTokensForAssistantActions)),
            // Compiled (or taken from the cache) before any token: an unsupported schema fails here, not mid-answer.
            Constraint = request.Constraint is { } constraint
                ? CompiledAnswerConstraint.For(constraint).Begin(ReasoningEffortOf(request.Messages), constraint.MaxReasoningTokens)
                : request.Generation.Constraint,
        };
        var reader = new HarmonyOutputReader(request.StopSequences);
        GenerationStats? stats = null;

        await foreach (var token in generator.GenerateAsync(prompt, options, cancellationToken).ConfigureAwait(false))
        {
            stats = token.Stats;
            foreach (var e in reader.Accept(token.Id)) yield return e;
            if (reader.StoppedBySequence) break;
        }
        // The engine ends a cancelled call with FinishReason.Cancelled; callers see the usual exception.
        cancellationToken.ThrowIfCancellationRequested();

        var truncated = !reader.StoppedBySequence && stats?.FinishReason == FinishReason.Length;
        foreach (var e in reader.Finish(truncated)) yield return e;

        var finish = reader.StoppedBySequence ? HarmonyFinishReason.Stop
            : truncated ? HarmonyFinishReason.Length
            : reader.Messages is [.., { IsToolCall: true }] ? HarmonyFinishReason.ToolCalls
            : HarmonyFinishReason.Stop;
        var usage = new HarmonyChatUsage(
            prompt.Count,
            stats?.CachedPromptTokens ?? 0,
            stats?.GeneratedTokens ?? 0,
            stats?.PrefillTime ?? TimeSpan.Zero,
            stats?.DecodeTime ?? TimeSpan.Zero);
        yield return new GenerationCompleted(reader.Messages, finish, usage);
    }

    private static ReasoningEffort? ReasoningEffortOf(IReadOnlyList<Message> messages) =>
        messages.SelectMany(m => m.Content).OfType<SystemContent>().Select(system => system.ReasoningEffort).FirstOrDefault();

    private static List<Message> DropCompletedReasoning(IReadOnlyList<Message> messages)
    {
        var lastFinal = -1;
        for (var i = 0; i < messages.Count; i++)
        {
            if (messages[i] is { Author.Role: Role.Assistant, Channel: "final" }) lastFinal = i;
        }
        return messages.Where((m, i) => i > lastFinal || m.Channel != "analysis").ToList();
    }
}
