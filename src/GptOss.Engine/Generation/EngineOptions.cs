using GptOss.Generation;
namespace GptOss.Engine;

/// <summary>Activation precision: float32 for exactness, bfloat16 (default) for speed.</summary>
public enum ActivationDType
{
    BFloat16,
    Float32,
}

/// <summary>How <see cref="GptOssEngine.Load"/> runs a checkpoint.</summary>
public sealed record EngineOptions
{
    public ActivationDType DType { get; init; } = ActivationDType.BFloat16;
    /// <summary>Compute threads: libtorch's intra-op threads and the CPU kernels' pool; 0 = libtorch's default and every processor.</summary>
    public int Threads { get; init; }
    /// <summary>Most positions (prompt + generated) one sequence may use; sizes the KV cache. 0 = min(model limit, 4096).</summary>
    public int MaxContext { get; init; }
    /// <summary>"cpu", "cuda", "cuda:1", …; null picks CUDA when libtorch finds a GPU, else the CPU.</summary>
    public string? Device { get; init; }
    /// <summary>Name reported in <see cref="ModelDescriptor"/>; defaults to the checkpoint folder's name.</summary>
    public string? Name { get; init; }
    /// <summary>Positions a sliding layer keeps beyond its window, so a new prompt may diverge that far back and still reuse the cache.</summary>
    public int SlidingRollback { get; init; } = 256;
    /// <summary>Most prompt tokens run in one forward pass; longer prompts are prefilled in chunks through the KV cache.</summary>
    public int PrefillChunkTokens { get; init; } = 512;
    /// <summary>Sequences decoded at once, each in a slot with its own KV cache (taken in blocks as it grows); 1 = one at a time.</summary>
    public int ParallelSequences { get; init; } = 4;
    /// <summary>Calls that may wait for a slot; one more is refused with <see cref="GenerationQueueFullException"/>.</summary>
    public int MaxQueuedRequests { get; init; } = 64;

    /// <summary>Positions one sequence may use with <paramref name="config"/>: <see cref="MaxContext"/> within the model's limit.</summary>
    public int ContextLength(GptOss.Engine.Checkpoints.ModelConfig config) =>
        MaxContext > 0 ? Math.Min(MaxContext, config.MaxPositionEmbeddings) : Math.Min(config.MaxPositionEmbeddings, 4096);
}
