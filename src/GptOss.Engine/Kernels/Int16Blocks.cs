using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GptOss.Engine.Kernels;

/// <summary>
/// An activation vector as 16-bit integers for <see cref="Mxfp4Int16Dot"/> (<see cref="Mxfp4Activations.Int16"/>).
/// Block g holds round(x · 2^k_g) with k_g = 14 − ⌊log2 max|x|⌋, so |q| ≤ 32767. Blocks go in pairs (2p, 2p+1) as the
/// kernel meets them: 64 values = evens of 2p, evens of 2p+1, odds of 2p, odds of 2p+1. <see cref="ScaleIndex"/> holds,
/// per block, what the kernel adds to a weight's E8M0 exponent to index <see cref="WideScaleTable"/>.
/// </summary>
internal readonly unsafe struct Int16Blocks(short* values, int* scaleIndex)
{
    public readonly short* Values = values;
    public readonly int* ScaleIndex = scaleIndex;

    public bool IsEmpty => Values == null;

    /// <summary>Vector <paramref name="slot"/> of several <paramref name="cols"/>-long ones stored side by side.</summary>
    public Int16Blocks Slot(int slot, int cols) =>
        IsEmpty ? default : new Int16Blocks(Values + (long)slot * cols, ScaleIndex + (long)slot * cols / 32);

    /// <summary>
    /// 2^(i − 291) as float32 for i in [0, 531): a weight exponent s (0..254) and a block's k (−113..163) meet at
    /// i = s + (163 − k), multiplier 2^(s − 127) · 2^−k · ½ (the kernel's FP4 table holds twice the E2M1 values).
    /// Out of float range: 0 or +∞, which is where the product itself leaves float range.
    /// </summary>
    internal static readonly float* WideScaleTable = CreateWideScaleTable();

    private const int TableBias = 291, KMax = 163, KMin = -113;

    /// <summary>
    /// Fills <paramref name="values"/> (cols shorts) and <paramref name="scaleIndex"/> (cols/32 ints) from a split
    /// activation vector (<see cref="ActivationSplit"/>). False when the vector holds inf or NaN (take the float path).
    /// AVX-512 only, like the kernel that reads the result.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool Quantize(float* split, int cols, short* values, int* scaleIndex)
    {
        var magnitude = Vector512.Create(0x7FFFFFFFu);
        for (int g = 0; g < cols / 32; g++)
        {
            float* x = split + 32 * g;   // evens x[0..16), odds x[16..32)
            // The largest magnitude by its bits: inf and NaN compare above every finite value.
            var bits = Vector512.Max(Vector512.Load((uint*)x) & magnitude, Vector512.Load((uint*)x + 16) & magnitude);
            var bits256 = Vector256.Max(bits.GetLower(), bits.GetUpper());
            var bits128 = Vector128.Max(bits256.GetLower(), bits256.GetUpper());
            uint maxBits = Math.Max(Math.Max(bits128[0], bits128[1]), Math.Max(bits128[2], bits128[3]));
            if (maxBits >= 0x7F800000u) return false;
            float max = BitConverter.UInt32BitsToSingle(maxBits);
            int k = max == 0f ? 0 : 14 - Math.ILogB(max);
            scaleIndex[g] = KMax - k;
            short* evens = values + 64 * (g / 2) + 16 * (g & 1), odds = evens + 32;
            if (k <= 127)
            {
                // Nearest-even rounding (MXCSR default); saturation turns a rounded 32768 into 32767.
                var multiplier = Vector512.Create((float)Math.ScaleB(1.0, k));
                Avx512F.ConvertToVector256Int16WithSaturation(Avx512F.ConvertToVector512Int32(Vector512.Load(x) * multiplier)).Store(evens);
                Avx512F.ConvertToVector256Int16WithSaturation(Avx512F.ConvertToVector512Int32(Vector512.Load(x + 16) * multiplier)).Store(odds);
            }
            else
                for (int j = 0; j < 16; j++)
                {
                    // |x| below 2^-113: 2^k is beyond float, the product exact in double.
                    evens[j] = (short)Math.Round(Math.ScaleB(x[j], k), MidpointRounding.ToEven);
                    odds[j] = (short)Math.Round(Math.ScaleB(x[16 + j], k), MidpointRounding.ToEven);
                }
        }
        return true;
    }

    private static float* CreateWideScaleTable()
    {
        const int size = KMax - KMin + 255;   // 531 entries: s − 128 − k spans [−291, 239]
        var table = (float*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc(size * sizeof(float), 64);
        for (int i = 0; i < size; i++) table[i] = (float)Math.ScaleB(1.0, i - TableBias);
        return table;
    }
}
