namespace GptOss.Generation;

/// <summary>
/// A generator refused a call because every sequence slot is busy and its queue of waiting calls is full; nothing was
/// started. Retry after <see cref="RetryAfter"/> (a server answers 503 with <c>Retry-After</c>).
/// </summary>
public sealed class GenerationQueueFullException(string message, TimeSpan retryAfter) : Exception(message)
{
    /// <summary>How long the caller should wait before trying again.</summary>
    public TimeSpan RetryAfter { get; } = retryAfter;
}
