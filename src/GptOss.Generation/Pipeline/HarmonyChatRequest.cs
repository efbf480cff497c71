using GptOss.Harmony;

namespace GptOss.Generation;

/// <summary>
/// What to generate from: the whole harmony conversation (system, developer, then the turns, tool results
/// included) and the sampling settings. The pipeline adds harmony's assistant stop tokens itself.
/// </summary>
public sealed record HarmonyChatRequest(IReadOnlyList<Message> Messages)
{
    public GenerationOptions Generation { get; init; } = new();

    /// <summary>Texts that end the answer where they first appear (the stop text itself is not returned).</summary>
    public IReadOnlyList<string> StopSequences { get; init; } = [];

    /// <summary>
    /// The prompt tokens to generate from, when the caller keeps them itself (the agent runner extends the previous
    /// step's prompt with the exact sampled tokens and the tool replies, so the KV cache prefix is reused);
    /// null renders <see cref="Messages"/>.
    /// </summary>
    public IReadOnlyList<int>? Prompt { get; init; }

    /// <summary>What the answer must be (a JSON schema, a required tool call, strict function arguments); null = free.</summary>
    public GptOss.Constraints.AnswerConstraint? Constraint { get; init; }
}
