using System.Net;
using System.Net.Http.Headers;
using Polly;
using Polly.Retry;

namespace GptOss.Remote.Http;

/// <summary>The one retry rule of every remote engine: only failures that say "not ready yet", never a 4xx.</summary>
internal static class TransientFailureRetry
{
    public static ResiliencePipeline<HttpResponseMessage> Create(RemoteRetryOptions options) =>
        new ResiliencePipelineBuilder<HttpResponseMessage>()
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                ShouldHandle = args => ValueTask.FromResult(IsTransient(args.Outcome)),
                MaxRetryAttempts = options.MaxRetryAttempts,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.BaseDelay,
                MaxDelay = options.MaxDelay,
                DelayGenerator = args => ValueTask.FromResult(
                    args.Outcome.Result is { } response ? RetryAfter(response.Headers.RetryAfter, DateTimeOffset.UtcNow, options.MaxRetryAfter) : null),
            })
            .Build();

    /// <summary>A server still loading answers 503 (llama.cpp, vLLM) or is not listening yet; a proxy in front says 502.</summary>
    public static bool IsTransient(Outcome<HttpResponseMessage> outcome) => outcome switch
    {
        { Exception: HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError } } => true,
        { Result.StatusCode: HttpStatusCode.ServiceUnavailable or HttpStatusCode.BadGateway } => true,
        _ => false,
    };

    /// <summary>The wait a <c>Retry-After</c> header asks for (seconds or a date), at most <paramref name="cap"/>; null when absent.</summary>
    public static TimeSpan? RetryAfter(RetryConditionHeaderValue? header, DateTimeOffset now, TimeSpan cap)
    {
        var wait = header?.Delta ?? (header?.Date is { } date ? date - now : null);
        if (wait is not { } w) return null;
        return w < TimeSpan.Zero ? TimeSpan.Zero : w > cap ? cap : w;
    }
}
