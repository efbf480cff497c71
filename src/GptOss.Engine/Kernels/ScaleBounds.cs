using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace GptOss.Engine.Kernels;

/// <summary>
/// The smallest and largest E8M0 exponent among a matrix's blocks. Where they are known, the integer kernel can tell
/// once per row that every block multiplier is a normal float and build it from the exponent bits alone, instead of
/// guarding each group of blocks for the subnormal and infinite cases (a quarter of the kernel's arithmetic).
/// </summary>
internal readonly record struct ScaleBounds(byte Min, byte Max)
{
    /// <summary>The bounds of <paramref name="count"/> scale bytes (count &gt; 0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe ScaleBounds Of(byte* scales, long count)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        byte min = byte.MaxValue, max = byte.MinValue;
        long i = 0;
        if (Vector256.IsHardwareAccelerated && count >= 32)
        {
            var low = Vector256.Load(scales);
            var high = low;
            for (i = 32; i + 32 <= count; i += 32)
            {
                var v = Vector256.Load(scales + i);
                low = Vector256.Min(low, v);
                high = Vector256.Max(high, v);
            }
            for (int j = 0; j < 32; j++)
            {
                min = Math.Min(min, low.GetElement(j));
                max = Math.Max(max, high.GetElement(j));
            }
        }
        for (; i < count; i++)
        {
            min = Math.Min(min, scales[i]);
            max = Math.Max(max, scales[i]);
        }
        return new ScaleBounds(min, max);
    }
}
