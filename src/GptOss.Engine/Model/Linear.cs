using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn.functional;

namespace GptOss.Engine.Model;

/// <summary><c>y = x·Wᵀ + b</c> on tensors (libtorch), on the weights' device and in their dtype.</summary>
internal sealed class Linear(Tensor weight, Tensor? bias)
{
    public Tensor Weight { get; } = weight;
    public Tensor? Bias { get; } = bias;

    /// <summary><paramref name="x"/> [T, in] → [T, out].</summary>
    public Tensor Forward(Tensor x) => linear(x, Weight, Bias);
}
