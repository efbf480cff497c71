namespace GptOss.Generation;

/// <summary>
/// The one seam between the model and everything above it: given a prompt of token ids, stream the
/// tokens the model samples. The in-process engine, the remote engines and the scripted token source (tests, demos)
/// implement it. Implementations are safe to share between concurrent callers (the engine decodes them together in
/// its sequence slots, the script serializes them, a remote server batches them); a generator that cannot take another
/// call now throws <see cref="GenerationQueueFullException"/>.
/// </summary>
public interface ITokenGenerator
{
    /// <summary>What this generator runs (name, vocabulary, context length).</summary>
    ModelDescriptor Model { get; }

    /// <summary>
    /// Samples tokens after <paramref name="prompt"/> until a stop token (which is yielded, last),
    /// <see cref="GenerationOptions.MaxNewTokens"/>, or cancellation.
    /// </summary>
    IAsyncEnumerable<GeneratedToken> GenerateAsync(
        IReadOnlyList<int> prompt, GenerationOptions options, CancellationToken cancellationToken = default);
}

/// <summary>Identity of the model behind a generator.</summary>
public sealed record ModelDescriptor(string Name, int VocabularySize, int ContextLength);

/// <summary>Sampling settings. Temperature 0 is greedy.</summary>
public sealed record GenerationOptions
{
    public int MaxNewTokens { get; init; } = 512;
    public float Temperature { get; init; } = 1.0f;
    public float TopP { get; init; } = 1.0f;
    public long? Seed { get; init; }
    /// <summary>Token ids that end generation; the stop token is yielded as the last token.</summary>
    public IReadOnlySet<int> StopTokens { get; init; } = new HashSet<int>();
    /// <summary>
    /// Tokens the sampler may pick at each step (applied to the logits before temperature and top-p); null = any.
    /// Stateful: one per call. A generator that cannot apply it refuses the call.
    /// </summary>
    public GptOss.Constraints.ITokenConstraint? Constraint { get; init; }
}

/// <summary>Why generation ended.</summary>
public enum FinishReason
{
    Stop,
    Length,
    Cancelled,
}

/// <summary>
/// Counters of one generation call. <see cref="CachedPromptTokens"/> is the prompt prefix reused from the
/// KV cache of the previous call; only <c>PromptTokens - CachedPromptTokens</c> were computed.
/// </summary>
public sealed record GenerationStats(
    int PromptTokens,
    int CachedPromptTokens,
    int GeneratedTokens,
    TimeSpan PrefillTime,
    TimeSpan DecodeTime,
    FinishReason? FinishReason);

/// <summary>One sampled token and the call's counters so far (final on the last token).</summary>
public readonly record struct GeneratedToken(int Id, GenerationStats Stats);
