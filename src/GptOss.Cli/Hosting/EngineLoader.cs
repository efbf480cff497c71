using GptOss.Engine;
using GptOss.Hub;

namespace GptOss.Cli.Hosting;

/// <summary>How the engine's own commands (model logits/generate, bench) load a checkpoint from their flags.</summary>
internal static class EngineLoader
{
    /// <param name="model">A checkpoint folder or a pulled <c>org/name[@rev]</c>.</param>
    /// <param name="dtype">The <c>--dtype</c> flag.</param>
    /// <param name="threads">Compute threads (0 = the default).</param>
    /// <param name="maxContext">Positions the KV cache holds.</param>
    /// <param name="parallelSequences">Sequences decoded at once (one KV cache each).</param>
    public static GptOssEngine Load(string model, string dtype, int threads, int maxContext, int parallelSequences = 1) =>
        GptOssEngine.Load(HubCache.Resolve(model), new EngineOptions
        {
            DType = ActivationDTypeNames.Parse(dtype, "--dtype"),
            Threads = threads,
            MaxContext = maxContext,
            ParallelSequences = parallelSequences,
        });
}
