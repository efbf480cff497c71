using System.Runtime.CompilerServices;

namespace GptOss.Engine.Kernels;

/// <summary>gpt-oss's clamped SwiGLU on one (gate, up) pair, float32 rounding after each op.</summary>
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
}
