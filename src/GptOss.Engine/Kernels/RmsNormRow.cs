using System.Runtime.Intrinsics;

namespace GptOss.Engine.Kernels;

/// <summary>RMSNorm of one float32 row: <c>y = x / sqrt(mean(x²) + eps) · g</c>.</summary>
internal static unsafe class RmsNormRow
{
    /// <summary>
    /// <paramref name="n"/> floats of <paramref name="x"/> into <paramref name="y"/> (may be x); <paramref name="roundToBf16"/>:
    /// the result as the BF16 activation path stores it.
    /// </summary>
    public static void Apply(float* x, float* gain, float* y, int n, float eps, bool roundToBf16)
    {
        double squares = 0;
        for (int i = 0; i < n; i++) squares += x[i] * x[i];
        float scale = 1f / MathF.Sqrt((float)(squares / n) + eps);
        int j = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; j + 16 <= n; j += 16)
            {
                var value = Vector512.Load(x + j) * scale * Vector512.Load(gain + j);
                (roundToBf16 ? Fp.RoundToBf16(value) : value).Store(y + j);
            }
        for (int i = j; i < n; i++)
        {
            float value = x[i] * scale * gain[i];
            y[i] = roundToBf16 ? Fp.RoundToBf16(value) : value;
        }
    }
}
