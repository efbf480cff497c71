using GptOss.Engine;
using GptOss.Engine.Checkpoints;

namespace GptOss.Cli.Commands;

/// <summary>
/// The bf16 KV cache a model needs: per layer, keys and values of kv_heads × head_dim, for the whole context on full-attention
/// layers and for the window plus the engine's rollback margin on sliding ones, times the sequences decoded in parallel.
/// </summary>
internal static class KvCacheEstimate
{
    private const int BytesPerValue = 2;   // bf16

    public static long BytesPerPosition(ModelConfig config) => 2L * config.NumKeyValueHeads * config.HeadDim * BytesPerValue;

    public static long Bytes(ModelConfig config, int context, int parallel)
    {
        int slidingPositions = Math.Min(context, config.SlidingWindow + new EngineOptions().SlidingRollback);
        long positions = config.SlidingLayers.Sum(sliding => sliding ? (long)slidingPositions : context);
        return BytesPerPosition(config) * positions * parallel;
    }
}
