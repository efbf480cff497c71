using System.Runtime.Intrinsics;

namespace GptOss.Engine.Kernels;

/// <summary>Half-split (NeoX) rotary embedding of one position's heads, in place on float32 rows.</summary>
internal static unsafe class RopeRow
{
    /// <summary>
    /// Rotates <paramref name="heads"/> rows of 2·<paramref name="half"/> floats by one position's tables;
    /// <paramref name="roundToBf16"/>: the tables and every product, sum and difference rounded to BF16 as the BF16
    /// tensor path rounds them.
    /// </summary>
    public static void Rotate(float* x, int heads, int half, float* cos, float* sin, bool roundToBf16)
    {
        for (int h = 0; h < heads; h++)
        {
            float* x1 = x + h * 2 * half, x2 = x1 + half;
            int i = 0;
            if (Vector512.IsHardwareAccelerated)
                for (; i + 16 <= half; i += 16)
                {
                    // The scalar loop's operations lane by lane (no fused multiply-adds): the same bits.
                    Vector512<float> a = Vector512.Load(x1 + i), b = Vector512.Load(x2 + i), c = Vector512.Load(cos + i), s = Vector512.Load(sin + i);
                    if (roundToBf16)
                    {
                        c = Fp.RoundToBf16(c);
                        s = Fp.RoundToBf16(s);
                        Fp.RoundToBf16(Fp.RoundToBf16(a * c) - Fp.RoundToBf16(b * s)).Store(x1 + i);
                        Fp.RoundToBf16(Fp.RoundToBf16(b * c) + Fp.RoundToBf16(a * s)).Store(x2 + i);
                    }
                    else
                    {
                        (a * c - b * s).Store(x1 + i);
                        (b * c + a * s).Store(x2 + i);
                    }
                }
            for (; i < half; i++)
            {
                float a = x1[i], b = x2[i], c = cos[i], s = sin[i];
                if (roundToBf16)
                {
                    c = Fp.RoundToBf16(c);
                    s = Fp.RoundToBf16(s);
                    x1[i] = Fp.RoundToBf16(Fp.RoundToBf16(a * c) - Fp.RoundToBf16(b * s));
                    x2[i] = Fp.RoundToBf16(Fp.RoundToBf16(b * c) + Fp.RoundToBf16(a * s));
                }
                else
                {
                    x1[i] = a * c - b * s;
                    x2[i] = b * c + a * s;
                }
            }
        }
    }
}
