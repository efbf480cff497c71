using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GptOss.Engine.Kernels;

/// <summary>
/// The activation layout every dot kernel reads: within each full 32-column block, the 16 even
/// columns first, then the 16 odd ones, so one 16-lane vector meets the low nibbles (MXFP4) or the
/// low halves of 32-bit lanes (BF16) of that block. Columns past the last full block stay in place.
/// </summary>
internal static unsafe class ActivationSplit
{
    public const int Block = 32;

    /// <summary>Where column c of the original vector lives in the split one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int IndexOf(int c, int cols)
    {
        int full = cols & ~(Block - 1);
        if (c >= full) return c;
        int t = c & (Block - 1);
        return (c & ~(Block - 1)) + ((t & 1) << 4) + (t >> 1);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Split(float* x, float* split, int cols)
    {
        int full = cols & ~(Block - 1);
        int c = 0;
        if (Avx512F.IsSupported)
        {
            var evens = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
            var odds = evens + Vector512<int>.One;
            for (; c < full; c += Block)
            {
                var a = Vector512.Load(x + c);
                var b = Vector512.Load(x + c + 16);
                Avx512F.PermuteVar16x32x2(a, evens, b).Store(split + c);
                Avx512F.PermuteVar16x32x2(a, odds, b).Store(split + c + 16);
            }
        }
        for (; c < full; c += Block)
        {
            for (int j = 0; j < 16; j++)
            {
                split[c + j] = x[c + 2 * j];
                split[c + 16 + j] = x[c + 2 * j + 1];
            }
        }
        for (; c < cols; c++) split[c] = x[c];
    }
}
