using GptOss.Engine.Checkpoints;
using GptOss.Engine.Forward;
using GptOss.Engine.Kernels;
using GptOss.Engine.Model;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace GptOss.Engine.Tests;

/// <summary>
/// The CPU pass's MoE decode (norm, router, top-k, experts and residual on raw float32 rows) against the tensor pass's
/// block around the same CPU experts (so only the block's own math differs; the experts are compared in
/// <see cref="CpuMoeExpertsTests"/>), on random weights, in float32 and BF16.
/// </summary>
public sealed unsafe class MoeDecodeTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _dir = WriteCheckpoint();

    private static TempDirectory WriteCheckpoint()
    {
        var dir = new TempDirectory();
        RandomCheckpoint.Write(dir.Path, new RandomCheckpointOptions { Seed = 21 });
        return dir;
    }

    /// <summary>One token's experts through the decode's fused kernel, as tensors: the reference block runs the same experts.</summary>
    private sealed class FusedExperts(CpuMoeExperts experts) : IMoeExperts
    {
        public Tensor Forward(Tensor hidden, ExpertSelection selection)
        {
            var h = hidden.to(ScalarType.Float32).contiguous();
            var output = torch.empty_like(h);
            experts.Decode((float*)MappedTensor.Data(h), 1, selection.Experts, selection.Weights, (float*)MappedTensor.Data(output));
            GC.KeepAlive(h);
            return output.to(hidden.dtype);
        }
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
        using var scratch = new CpuExpertScratch(kernels);
        var w = new WeightLoader(checkpoint, CPU, type);
        using var inference = torch.inference_mode();
        var generator = torch.manual_seed(3);
        for (int layer = 0; layer < config.NumHiddenLayers; layer++)
        {
            var weights = MoeWeights.Load(w, layer);
            var cpu = new CpuMoeBlock(weights, scratch, config);
            var reference = new TensorMoeBlock(weights, new FusedExperts(new CpuMoeExperts(weights.Experts, scratch)), config.NumExpertsPerTok);
            for (int step = 0; step < 4; step++)
            {
                using var scope = torch.NewDisposeScope();
                var x = (torch.randn([1, config.HiddenSize], generator: generator) * 2).to(type);
                var expected = reference.Forward(x) - x;
                var row = x.to(ScalarType.Float32, copy: true).contiguous();
                cpu.Decode((float*)MappedTensor.Data(row), 1, type == ScalarType.BFloat16);
                BlockOutputs.AssertClose(expected, row.to(type) - x, type, $"layer {layer} step {step}", output);
            }
        }
    }

    public void Dispose() => _dir.Dispose();
}
