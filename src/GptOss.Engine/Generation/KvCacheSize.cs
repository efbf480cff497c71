using GptOss.Engine.Checkpoints;
using GptOss.Engine.Model;

namespace GptOss.Engine;

/// <summary>
/// The KV cache a sequence takes: per layer, keys and values of kv_heads × head_dim in whole blocks, for the whole
/// context on full-attention layers and for the window plus the rollback margin on sliding ones.
/// </summary>
public static class KvCacheSize
{
    /// <summary>Bytes of one sequence's KV cache when it fills <paramref name="context"/> positions.</summary>
    public static long BytesPerSequence(ModelConfig config, int context, ActivationDType dtype = ActivationDType.BFloat16,
        int slidingRollback = 256)
    {
        ArgumentNullException.ThrowIfNull(config);
        int bytesPerValue = dtype == ActivationDType.Float32 ? sizeof(float) : sizeof(ushort);
        return config.SlidingLayers.Sum(sliding => sliding
            ? LayerKvCache.BytesAtCapacity(Math.Min(context, config.SlidingWindow + slidingRollback), config.SlidingWindow, config.NumKeyValueHeads, config.HeadDim, bytesPerValue)
            : LayerKvCache.BytesAtCapacity(context, 0, config.NumKeyValueHeads, config.HeadDim, bytesPerValue));
    }

    /// <summary>The memory this process may use: physical memory, or the container's or GC's limit where one is set.</summary>
    internal static long PhysicalMemoryBytes() => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;

    /// <summary>Refuses a configuration whose slots, all full, and weights need more than <paramref name="memoryBytes"/>.</summary>
    /// <exception cref="ArgumentException">They do not fit.</exception>
    internal static void EnsureFits(int sequences, int context, long bytesPerSequence, long weightBytes, long memoryBytes)
    {
        double kvBytes = (double)sequences * bytesPerSequence;   // double: a huge slot count must not overflow into "fits"
        if (kvBytes + weightBytes > memoryBytes)
            throw new ArgumentException(
                $"ParallelSequences {sequences} × context {context} need {Gigabytes(kvBytes)} of KV cache " +
                $"({Gigabytes(bytesPerSequence)} per sequence) besides {Gigabytes(weightBytes)} of weights, more than the {Gigabytes(memoryBytes)} " +
                "of memory here: lower ParallelSequences or MaxContext");
    }

    private static string Gigabytes(double bytes) => $"{bytes / 1e9:F2} GB";
}
