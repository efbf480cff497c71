using GptOss.Engine.Checkpoints;
using GptOss.Engine.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace GptOss.Engine.Model;

/// <summary><c>y = x / sqrt(mean(x²) + eps) · g</c>, computed in float32 whatever the activation dtype.</summary>
/// <param name="gain">Float32 [H] on the model's device.</param>
internal sealed unsafe class RmsNorm(Tensor gain, double eps)
{
    public Tensor Forward(Tensor x)
    {
        var t = x.to(ScalarType.Float32);
        t = t * torch.rsqrt(t.pow(2).mean([-1], keepdim: true) + eps);
        return (t * gain).to(x.dtype);
    }

    /// <summary>One float32 row in CPU memory (<see cref="RmsNormRow"/>); <paramref name="y"/> may be <paramref name="x"/>.</summary>
    public void Forward(float* x, float* y, int n, bool roundToBf16)
    {
        RmsNormRow.Apply(x, (float*)MappedTensor.Data(gain), y, n, (float)eps, roundToBf16);
        GC.KeepAlive(gain);
    }
}
