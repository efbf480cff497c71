using GptOss.Engine.Checkpoints;
using GptOss.Engine.Kernels;
using GptOss.Engine.Model;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace GptOss.Engine.Tests;

/// <summary>
/// The CPU attention (one decoded row on raw pointers, several rows through the visible-keys kernel) against the
/// tensor path on random weights, step by step through one cache each: a prefill of several row blocks, longer than the
/// sliding ring; decodes past the window (the ring wraps); a rollback resumed with different rows (prefix reuse); more
/// prefill after decodes. With a tiny scratch budget every pass is split over many dispatches.
/// </summary>
public sealed class CpuAttentionTests(ITestOutputHelper output) : IDisposable
{
    private const int Window = 5, Rollback = 3, Context = 64, LongPrompt = 37;
    private readonly TempDirectory _dir = WriteCheckpoint();

    /// <summary>Head dim 24 leaves a tail after every 16- and 8-lane loop; 8 query heads over 2 kv heads (groups of 4).</summary>
    private static TempDirectory WriteCheckpoint()
    {
        var dir = new TempDirectory();
        RandomCheckpoint.Write(dir.Path, new RandomCheckpointOptions
        {
            Seed = 11,
            Customize = c => c with { HiddenSize = 96, HeadDim = 24, NumAttentionHeads = 8, NumKeyValueHeads = 2, SlidingWindow = Window },
        });
        return dir;
    }

    public static TheoryData<ScalarType, KernelIsa, bool> Cases()
    {
        var data = new TheoryData<ScalarType, KernelIsa, bool>();
        foreach (var isa in KernelIsas.Supported)
            foreach (var type in new[] { ScalarType.Float32, ScalarType.BFloat16 })
                foreach (bool tinyScratch in new[] { false, true })
                    data.Add(type, isa, tinyScratch);
        return data;
    }

    [Theory, MemberData(nameof(Cases))]
    public void MatchesTheTensorPathThroughDecodeRollbackAndPrefill(ScalarType type, KernelIsa isa, bool tinyScratch)
    {
        using var checkpoint = Checkpoint.Open(_dir.Path);
        var config = checkpoint.Config;
        using var pool = new KernelThreadPool(2);
        using var kernels = new CpuKernels(pool, isa);
        using var scratch = new CpuAttentionScratch(kernels, tinyScratch ? 1 : SinkAttention.DefaultScratchFloats);
        var rope = new RotaryEmbedding(config, Context, CPU);
        // The reference uses the same GEMV kernel for single rows, so only the attention math differs.
        var w = new WeightLoader(checkpoint, CPU, type, kernels);
        using var inference = torch.inference_mode();
        var generator = torch.manual_seed(5);
        foreach (int layer in new[] { 0, 1 })
        {
            var reference = new AttentionBlock(w, layer, rope, cpu: null);
            var cpu = new AttentionBlock(w, layer, rope, scratch);
            Assert.Equal(layer == 0 ? Window : 0, cpu.Window);
            int capacity = cpu.Window == 0 ? Context : Window + Rollback;
            using var referenceCache = new LayerKvCache(capacity, cpu.Window, config.NumKeyValueHeads, config.HeadDim, type, CPU);
            using var cpuCache = new LayerKvCache(capacity, cpu.Window, config.NumKeyValueHeads, config.HeadDim, type, CPU);

            void Step(int start, int rows, string what)
            {
                using var scope = torch.NewDisposeScope();
                var x = torch.randn([rows, config.HiddenSize], generator: generator).to(type);
                var expected = reference.Forward(x, referenceCache, start) - x;
                var actual = cpu.Forward(x, cpuCache, start) - x;
                BlockOutputs.AssertClose(expected, actual, type, $"layer {layer} {what} at {start}", output);
            }

            Step(0, LongPrompt, "prefill of several row blocks");
            for (int p = LongPrompt; p < LongPrompt + 8; p++) Step(p, 1, "decode");
            int back = LongPrompt + 6;
            Assert.True(cpuCache.CanResumeAt(back) && referenceCache.CanResumeAt(back));
            for (int p = back; p < back + 4; p++) Step(p, 1, "decode after a rollback");
            Step(back + 4, 4, "prefill after decodes");
            Step(back + 8, 1, "decode");
        }
    }

    public void Dispose() => _dir.Dispose();
}
