using GptOss.Engine;
using GptOss.Engine.Checkpoints;

namespace GptOss.Cli.Commands;

/// <summary>The bf16 KV cache a model needs for a context and a number of sequences decoded in parallel (the engine's own count).</summary>
internal static class KvCacheEstimate
{
    private const int BytesPerValue = 2;   // bf16

    public static long BytesPerPosition(ModelConfig config) => 2L * config.NumKeyValueHeads * config.HeadDim * BytesPerValue;

    public static long Bytes(ModelConfig config, int context, int parallel) => KvCacheSize.BytesPerSequence(config, context) * parallel;
}
