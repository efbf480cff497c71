using GptOss.Harmony;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace GptOss.Tools.Execution;

/// <summary>
/// The Polly pipeline around one tool: retry with exponential backoff for the tool's transient failures only,
/// then a circuit breaker counting the tool's own failures (not the model's usage errors), then a timeout as the
/// outer safety net: tools enforce their hard limits themselves and Polly's timeout is only cooperative.
/// </summary>
internal static class ToolPipeline
{
    private static readonly TimeSpan MaxTimeoutGrace = TimeSpan.FromSeconds(5);

    public static ResiliencePipeline<IReadOnlyList<Message>> Create(IHarmonyTool tool, ToolsOptions options, TimeProvider? time = null)
    {
        var resilience = options.Resilience;
        var builder = new ResiliencePipelineBuilder<IReadOnlyList<Message>> { Name = tool.Name };
        if (time is not null) builder.TimeProvider = time;
        if (resilience.MaxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions<IReadOnlyList<Message>>
            {
                ShouldHandle = new PredicateBuilder<IReadOnlyList<Message>>().Handle<Exception>(tool.IsTransient),
                MaxRetryAttempts = resilience.MaxRetries,
                Delay = resilience.RetryBaseDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
            });
        }
        builder.AddCircuitBreaker(new CircuitBreakerStrategyOptions<IReadOnlyList<Message>>
        {
            ShouldHandle = new PredicateBuilder<IReadOnlyList<Message>>().Handle<Exception>(IsToolFailure),
            FailureRatio = resilience.FailureRatio,
            MinimumThroughput = Math.Max(2, resilience.MinimumThroughput),
            SamplingDuration = resilience.SamplingDuration,
            BreakDuration = resilience.BreakDuration,
        });
        var grace = options.TimeLimit < MaxTimeoutGrace ? options.TimeLimit : MaxTimeoutGrace;
        builder.AddTimeout(new TimeoutStrategyOptions { Timeout = options.TimeLimit + grace });
        return builder.Build();
    }

    private static bool IsToolFailure(Exception e) => e is not (ToolUsageException or OperationCanceledException);
}
