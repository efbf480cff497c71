using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace GptOss.Engine.Kernels;

/// <summary>gpt-oss's clamped SwiGLU on (gate, up) pairs: float32 rounding after each op, or BF16 rounding as the BF16 tensor pass.</summary>
internal static class SwiGlu
{
    public const float Limit = 7f;
    public const float Alpha = 1.702f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Apply(float gate, float up)
    {
        float glu = MathF.Min(gate, Limit);
        float lin = Math.Clamp(up, -Limit, Limit);
        float sigmoid = 1f / (1f + MathF.Exp(-(Alpha * glu)));
        return glu * sigmoid * (lin + 1f);
    }

    /// <summary>
    /// Sixteen pairs as the BF16 tensor pass computes them (<c>DequantizingMoeExperts.SwiGlu</c> on BF16 tensors): each
    /// op in float32, its result rounded to BF16: <c>glu·α</c>, the sigmoid, <c>glu·σ</c>, <c>lin + 1</c> and the product.
    /// The inputs are BF16 values (the gate_up linear's output); so is the result.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Bf16(Vector512<float> gate, Vector512<float> up, float limit)
    {
        var one = Vector512<float>.One;
        var glu = Vector512.Min(gate, Vector512.Create(limit));
        var lin = Vector512.Clamp(up, Vector512.Create(-limit), Vector512.Create(limit));
        var scaled = Fp.RoundToBf16(glu * Vector512.Create(Alpha));
        var sigmoid = Fp.RoundToBf16(one / (one + Vector512.Exp(-scaled)));
        return Fp.RoundToBf16(Fp.RoundToBf16(glu * sigmoid) * Fp.RoundToBf16(lin + one));
    }
}
