using System.Diagnostics;
using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using GptOss.Generation;

namespace GptOss.Engine.Generation;

/// <summary>A generated token, or why generation failed.</summary>
internal readonly record struct SequenceStep(GeneratedToken Token, ExceptionDispatchInfo? Error);

/// <summary>
/// One call the scheduler runs: a prompt to prefill, then either tokens to sample (<see cref="Options"/>) or the logits of
/// every prompt position (<see cref="AllLogits"/>). The caller's side reads <see cref="Steps"/>; the rest belongs to the
/// engine thread.
/// </summary>
internal sealed class EngineSequence
{
    /// <param name="options">Sampling settings; null = a logits call.</param>
    public EngineSequence(IReadOnlyList<int> prompt, GenerationOptions? options, CancellationToken cancellation)
    {
        Prompt = prompt;
        Options = options;
        Sampler = options is null ? null : new TokenSampler(options);
        Cancellation = cancellation;
    }

    public IReadOnlyList<int> Prompt { get; }
    public GenerationOptions? Options { get; }
    public TokenSampler? Sampler { get; }
    public CancellationToken Cancellation { get; }

    /// <summary>Tokens (generation calls) in order; unbounded, the scheduler keeps at most one unread (<see cref="Unread"/>).</summary>
    public Channel<SequenceStep> Steps { get; } = Channel.CreateUnbounded<SequenceStep>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });

    /// <summary>The result of a logits call.</summary>
    public TaskCompletionSource<float[][]> AllLogits { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when the scheduler has let the sequence go (its slot is free again).</summary>
    public TaskCompletionSource Released { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private int _unread;
    private volatile bool _left;

    /// <summary>Tokens written and not yet read.</summary>
    public int Unread => Volatile.Read(ref _unread);
    /// <summary>Whether the caller stopped reading (its enumerator was disposed).</summary>
    public bool Left => _left;

    public void Wrote() => Interlocked.Increment(ref _unread);
    public void Read() => Interlocked.Decrement(ref _unread);
    public void Leave() => _left = true;

    // The engine thread's state of the call.
    public SequenceSlot? Slot { get; set; }
    public int CachedTokens { get; set; }
    /// <summary>Prompt tokens in the cache so far (reused or computed).</summary>
    public int Prefilled { get; set; }
    public float[]? PromptLogits { get; set; }
    public Stopwatch Clock { get; } = new();
    public TimeSpan PrefillTime { get; set; }
    public int Generated { get; set; }
    /// <summary>A sampled token handed over and waiting to be fed to the model.</summary>
    public int? NextInput { get; set; }
    /// <summary>A sampled token the caller has no room for yet.</summary>
    public GeneratedToken? Pending { get; set; }
    public bool Prefilling => Slot is not null && Prefilled < Prompt.Count;
}
