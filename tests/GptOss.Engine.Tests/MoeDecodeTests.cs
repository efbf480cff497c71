using GptOss.Engine.Checkpoints;
using GptOss.Engine.Kernels;
using GptOss.Engine.Model;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace GptOss.Engine.Tests;

/// <summary>
/// The MoE block's one-token CPU path (norm, router, top-k, experts and residual on raw float32 rows) against the
/// tensor path around the same experts, on random weights, in float32 and BF16.
/// </summary>
public sealed class MoeDecodeTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _dir = WriteCheckpoint();

    private static TempDirectory WriteCheckpoint()
    {
        var dir = new TempDirectory();
        RandomCheckpoint.Write(dir.Path, new RandomCheckpointOptions { Seed = 21 });
        return dir;
    }

    /// <summary>Hides the CPU experts' type, so the block takes its tensor path (norm, router, selection as tensors).</summary>
    private sealed class TensorPath(IMoeExperts inner) : IMoeExperts
    {
        public Tensor Forward(Tensor hidden, ExpertSelection selection, bool decode) => inner.Forward(hidden, selection, decode);
    }

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.BFloat16)]
    public void Matches_the_tensor_path(ScalarType type)
    {
        using var checkpoint = Checkpoint.Open(_dir.Path);
        var config = checkpoint.Config;
        using var pool = new KernelThreadPool(2);
        var activations = type == ScalarType.BFloat16 ? Mxfp4Activations.Int16 : Mxfp4Activations.Float32;
        using var kernels = new CpuKernels(pool, mxfp4Activations: activations);
        var scratch = new CpuExpertScratch(kernels);
        var w = new WeightLoader(checkpoint, CPU, type, kernels);
        using var inference = torch.inference_mode();
        var generator = torch.manual_seed(3);
        for (int layer = 0; layer < config.NumHiddenLayers; layer++)
        {
            var raw = new MoeBlock(w, layer, weights => new CpuMoeExperts(weights, scratch));
            var reference = new MoeBlock(w, layer, weights => new TensorPath(new CpuMoeExperts(weights, scratch)));
            Assert.True(raw.DecodesOnCpu);
            Assert.False(reference.DecodesOnCpu);
            for (int step = 0; step < 4; step++)
            {
                using var scope = torch.NewDisposeScope();
                var x = (torch.randn([1, config.HiddenSize], generator: generator) * 2).to(type);
                var expected = reference.Forward(x, decode: true) - x;
                var actual = raw.Forward(x, decode: true) - x;
                BlockOutputs.AssertClose(expected, actual, type, $"layer {layer} step {step}", output);
            }
        }
    }

    public void Dispose() => _dir.Dispose();
}
