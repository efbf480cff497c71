using GptOss.Engine.Checkpoints;
using GptOss.Engine.Forward;
using GptOss.Engine.Kernels;
using GptOss.Engine.Model;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace GptOss.Engine.Tests;

/// <summary>
/// The CPU pass's attention block (one decoded row on raw pointers, a prompt's rows through the visible-keys kernel)
/// against the tensor pass's block on the same random weights, step by step through one cache each: a prefill of several row blocks, longer than the
/// sliding ring; decodes past the window (the ring wraps); a rollback resumed with different rows (prefix reuse); more
/// prefill after decodes. With a tiny scratch budget every pass is split over many dispatches.
/// </summary>
public sealed unsafe class CpuAttentionTests(ITestOutputHelper output) : IDisposable
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

    /// <summary>Every ISA, dtype and scratch budget with the default KV blocks; then 4-row blocks, so rows cross block ends everywhere.</summary>
    public static TheoryData<ScalarType, string, bool, int> Cases()
    {
        var data = new TheoryData<ScalarType, string, bool, int>();
        foreach (var isa in KernelIsas.Supported)
            foreach (var type in new[] { ScalarType.Float32, ScalarType.BFloat16 })
                foreach (bool tinyScratch in new[] { false, true })
                    data.Add(type, isa.ToString(), tinyScratch, LayerKvCache.DefaultBlockRows);
        foreach (var type in new[] { ScalarType.Float32, ScalarType.BFloat16 })
            data.Add(type, KernelIsas.Supported[0].ToString(), false, 4);
        return data;
    }

    [Theory, MemberData(nameof(Cases))]
    public void MatchesTheTensorPathThroughDecodeRollbackAndPrefill(ScalarType type, string isaName, bool tinyScratch, int blockRows)
    {
        var isa = Enum.Parse<KernelIsa>(isaName);
        using var checkpoint = Checkpoint.Open(_dir.Path);
        var config = checkpoint.Config;
        using var pool = new KernelThreadPool(2);
        using var kernels = new CpuKernels(pool, isa);
        using var scratch = new CpuAttentionScratch(kernels, tinyScratch ? 1 : SinkAttention.DefaultScratchFloats);
        var rope = new RotaryEmbedding(config, Context, CPU);
        var w = new WeightLoader(checkpoint, CPU, type);
        using var inference = torch.inference_mode();
        var generator = torch.manual_seed(5);
        foreach (int layer in new[] { 0, 1 })
        {
            var weights = AttentionWeights.Load(w, layer);
            var reference = new TensorAttentionBlock(weights, rope, config);
            var cpu = new CpuAttentionBlock(weights, rope, config, type, scratch);
            Assert.Equal(layer == 0 ? Window : 0, weights.Window);
            int capacity = weights.Window == 0 ? Context : Window + Rollback;
            using var referenceCache = new LayerKvCache(capacity, weights.Window, config.NumKeyValueHeads, config.HeadDim, type, CPU, blockRows);
            using var cpuCache = new LayerKvCache(capacity, weights.Window, config.NumKeyValueHeads, config.HeadDim, type, CPU, blockRows);

            void Step(int start, int rows, string what)
            {
                using var scope = torch.NewDisposeScope();
                var x = torch.randn([rows, config.HiddenSize], generator: generator).to(type);
                var expected = reference.Forward(x, referenceCache, start) - x;
                var actual = cpu.Prefill(x, cpuCache, start) - x;
                BlockOutputs.AssertClose(expected, actual, type, $"layer {layer} {what} at {start}", output);
            }

            void Decode(int position, string what)
            {
                using var scope = torch.NewDisposeScope();
                var x = torch.randn([1, config.HiddenSize], generator: generator).to(type);
                var expected = reference.Forward(x, referenceCache, position) - x;
                var row = x.to(ScalarType.Float32, copy: true).contiguous();
                cpu.Decode((float*)MappedTensor.Data(row), [cpuCache], [position]);
                BlockOutputs.AssertClose(expected, row.to(type) - x, type, $"layer {layer} {what} at {position}", output);
            }

            Step(0, LongPrompt, "prefill of several row blocks");
            for (int p = LongPrompt; p < LongPrompt + 8; p++) Decode(p, "decode");
            int back = LongPrompt + 6;
            Assert.True(cpuCache.CanResumeAt(back) && referenceCache.CanResumeAt(back));
            for (int p = back; p < back + 3; p++) Decode(p, "decode after a rollback");
            Step(back + 3, 1, "a one-row prompt (the decode's row path on tensors)");
            Step(back + 4, 4, "prefill after decodes");
            Decode(back + 8, "decode");
        }
    }

    public void Dispose() => _dir.Dispose();
}
