using GptOss.Engine.Model;
using TorchSharp;

namespace GptOss.Engine.Forward;

/// <summary>How a loaded model computes its forward pass.</summary>
internal enum ForwardPassKind
{
    /// <summary>The CPU kernels (decode on raw rows, prefill with libtorch GEMMs around them): the CPU's pass.</summary>
    CpuKernels,

    /// <summary>The reference math on tensors, on any device: every other device's pass, and the tests' oracle on the CPU.</summary>
    Tensor,
}

/// <summary>Picks and builds a model's forward pass (once, at load).</summary>
internal static class ForwardPasses
{
    /// <summary>The pass for the weights' device: the CPU kernels on the CPU, tensors elsewhere.</summary>
    public static ForwardPassKind DefaultFor(torch.Device device) =>
        device.type == DeviceType.CPU ? ForwardPassKind.CpuKernels : ForwardPassKind.Tensor;

    /// <param name="threads">Threads the CPU kernels use (0 = every processor).</param>
    public static IForwardPass Create(ForwardPassKind kind, ModelWeights weights, RotaryEmbedding rope, int threads) => kind switch
    {
        ForwardPassKind.CpuKernels => new CpuForwardPass(weights, rope, threads),
        _ => new TensorForwardPass(weights, rope),
    };
}
