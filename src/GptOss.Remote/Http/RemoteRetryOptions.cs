namespace GptOss.Remote.Http;

/// <summary>
/// How long a starting server is waited for: connection refused, 502 and 503 are retried with exponential backoff
/// (about 1+2+4+8+10 s, jittered), or after the server's <c>Retry-After</c>, up to <see cref="MaxRetryAfter"/>.
/// Tests shrink the delays.
/// </summary>
internal sealed record RemoteRetryOptions
{
    public static RemoteRetryOptions Default { get; } = new();

    public int MaxRetryAttempts { get; init; } = 5;
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromSeconds(1);
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(10);
    public TimeSpan MaxRetryAfter { get; init; } = TimeSpan.FromSeconds(60);
}
