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
    /// <summary>
    /// How long after <see cref="ToolsOptions.TimeLimit"/> a tool may take to stop its work and answer by itself
    /// (the javascript tool abandons an interpreter that ignored its own deadline by then).
    /// </summary>
    internal static readonly TimeSpan ToolAnswerGrace = TimeSpan.FromSeconds(2);

    // Polly's timeout comes this long after a tool's own answer is due, whatever the TimeLimit, so a tool that
    // stops itself answers first and is never a timeout failure counted by the circuit breaker.
    private static readonly TimeSpan TimeoutMargin = TimeSpan.FromSeconds(3);

    /// <summary>When the pipeline gives up on a call: after the tool's own deadline, with a margin.</summary>
    internal static TimeSpan Timeout(ToolsOptions options) => options.TimeLimit + ToolAnswerGrace + TimeoutMargin;

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
        builder.AddTimeout(new TimeoutStrategyOptions { Timeout = Timeout(options) });
        return builder.Build();
    }

    private static bool IsToolFailure(Exception e) => e is not (ToolUsageException or OperationCanceledException);
}
