using System.Runtime.Intrinsics;
using GptOss.Engine.Checkpoints;
using GptOss.Engine.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace GptOss.Engine.Model;

/// <summary><c>y = x / sqrt(mean(x²) + eps) · g</c>, computed in float32 whatever the activation dtype.</summary>
internal sealed unsafe class RmsNorm(Tensor gain, double eps)
{
    public Tensor Forward(Tensor x)
    {
        var t = x.to(ScalarType.Float32);
        t = t * torch.rsqrt(t.pow(2).mean([-1], keepdim: true) + eps);
        return (t * gain).to(x.dtype);
    }

    /// <summary>
    /// One row of <paramref name="n"/> floats on the CPU; <paramref name="roundToBf16"/>: the result as the BF16
    /// activation path stores it. <paramref name="y"/> may be <paramref name="x"/>.
    /// </summary>
    public void Forward(float* x, float* y, int n, bool roundToBf16)
    {
        var g = (float*)MappedTensor.Data(gain);
        double squares = 0;
        for (int i = 0; i < n; i++) squares += x[i] * x[i];
        float scale = 1f / MathF.Sqrt((float)(squares / n) + (float)eps);
        int j = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; j + 16 <= n; j += 16)
            {
                var value = Vector512.Load(x + j) * scale * Vector512.Load(g + j);
                (roundToBf16 ? Fp.RoundToBf16(value) : value).Store(y + j);
            }
        for (int i = j; i < n; i++)
        {
            float value = x[i] * scale * g[i];
            y[i] = roundToBf16 ? Fp.RoundToBf16(value) : value;
        }
        GC.KeepAlive(gain);
    }
}
