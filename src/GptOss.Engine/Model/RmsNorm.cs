using TorchSharp;
using static TorchSharp.torch;

namespace GptOss.Engine.Model;

/// <summary><c>y = x / sqrt(mean(x²) + eps) · g</c>, computed in float32 whatever the activation dtype.</summary>
internal sealed class RmsNorm(Tensor gain, double eps)
{
    public Tensor Forward(Tensor x)
    {
        var t = x.to(ScalarType.Float32);
        t = t * torch.rsqrt(t.pow(2).mean([-1], keepdim: true) + eps);
        return (t * gain).to(x.dtype);
    }
}
