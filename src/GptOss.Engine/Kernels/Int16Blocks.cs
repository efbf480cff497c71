using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GptOss.Engine.Kernels;

/// <summary>
/// An activation vector as integers for <see cref="Mxfp4Int16Dot"/> (<see cref="Mxfp4Activations.Int16"/>). Block g
/// holds q = round(x · 2^k_g) with k_g = 13 − ⌊log2 max|x|⌋, so |q| ≤ 2^14, kept as two signed bytes q = 256·hi + lo
/// (hi in [−64, 64], lo in [−128, 127]) because the kernel multiplies bytes (vpmaddubsw).
/// Blocks go in quads of four (128 columns, 256 bytes) as the kernel meets them: the hi bytes of the even columns,
/// the lo bytes of the even columns, the hi bytes of the odd ones, the lo bytes of the odd ones; 16 bytes per block in
/// each plane. Per block: <see cref="Exponents"/> (−1 − k_g, what the kernel adds to a weight's E8M0 exponent to get
/// the float exponent of the block's multiplier) and <see cref="Corrections"/> (−12·Σq: the kernel's weights are
/// 2·E2M1 + 12, non-negative as vpmaddubsw wants). A vector is padded to whole groups of 16 blocks with blocks that
/// add zero.
/// </summary>
internal readonly unsafe struct Int16Blocks(byte* bytes, int* exponents, int* corrections, int minExponent = int.MinValue, int maxExponent = int.MaxValue)
{
    /// <summary>Blocks per kernel step (four quads).</summary>
    public const int GroupBlocks = 16;

    /// <summary>What the kernel adds to each 2·E2M1 code so that every weight byte is non-negative.</summary>
    public const int WeightOffset = 12;

    public readonly byte* Bytes = bytes;
    public readonly int* Exponents = exponents;
    public readonly int* Corrections = corrections;

    /// <summary>The smallest and largest <see cref="Exponents"/> of the vectors' own blocks (padding excluded), once known (<see cref="WithExponentBounds"/>).</summary>
    public readonly int MinExponent = minExponent, MaxExponent = maxExponent;

    public bool IsEmpty => Bytes == null;

    /// <summary>Blocks a vector of <paramref name="cols"/> columns occupies, padding included.</summary>
    public static int PaddedBlocks(int cols) => (cols / 32 + GroupBlocks - 1) / GroupBlocks * GroupBlocks;

    /// <summary>Vector <paramref name="slot"/> of several <paramref name="cols"/>-long ones stored side by side.</summary>
    public Int16Blocks Slot(int slot, int cols)
    {
        if (IsEmpty) return default;
        long blocks = (long)slot * PaddedBlocks(cols);
        return new Int16Blocks(Bytes + 64 * blocks, Exponents + blocks, Corrections + blocks, MinExponent, MaxExponent);
    }

    /// <summary>These blocks with the exponent bounds of <paramref name="count"/> vectors of <paramref name="cols"/> columns.</summary>
    public Int16Blocks WithExponentBounds(int count, int cols)
    {
        int min = int.MaxValue, max = int.MinValue;
        for (int v = 0; v < count; v++)
        {
            int* exponents = Slot(v, cols).Exponents;
            for (int g = 0; g < cols / 32; g++)
            {
                min = Math.Min(min, exponents[g]);
                max = Math.Max(max, exponents[g]);
            }
        }
        return new Int16Blocks(Bytes, Exponents, Corrections, min, max);
    }

    /// <summary>Block g's 16 bytes in the first of its quad's four planes (the others follow 64, 128 and 192 bytes on).</summary>
    private byte* Quad(int g) => Bytes + 256 * (g / 4) + 16 * (g & 3);

    /// <summary>
    /// Fills <paramref name="dest"/> from a split activation vector (<see cref="ActivationSplit"/>) of
    /// <paramref name="cols"/> columns. False when the vector holds inf or NaN (take the float path).
    /// AVX-512 only, like the kernel that reads the result.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool Quantize(float* split, int cols, Int16Blocks dest)
    {
        var magnitude = Vector512.Create(0x7FFFFFFFu);
        int* tiny = stackalloc int[32];
        int blocks = cols / 32;
        for (int g = 0; g < blocks; g++)
        {
            float* x = split + 32 * g;   // evens x[0..16), odds x[16..32)
            // The largest magnitude by its bits: inf and NaN compare above every finite value.
            var bits = Vector512.Max(Vector512.Load((uint*)x) & magnitude, Vector512.Load((uint*)x + 16) & magnitude);
            var bits256 = Vector256.Max(bits.GetLower(), bits.GetUpper());
            var bits128 = Vector128.Max(bits256.GetLower(), bits256.GetUpper());
            uint maxBits = Math.Max(Math.Max(bits128[0], bits128[1]), Math.Max(bits128[2], bits128[3]));
            if (maxBits >= 0x7F800000u) return false;
            float max = BitConverter.UInt32BitsToSingle(maxBits);
            int k = max == 0f ? 0 : 13 - Math.ILogB(max);
            Vector512<int> evens, odds;
            if (k <= 127)
            {
                // Nearest-even rounding (MXCSR default); |q| ≤ 2^14 fits the two bytes.
                var multiplier = Vector512.Create((float)Math.ScaleB(1.0, k));
                evens = Avx512F.ConvertToVector512Int32(Vector512.Load(x) * multiplier);
                odds = Avx512F.ConvertToVector512Int32(Vector512.Load(x + 16) * multiplier);
            }
            else
            {
                // |x| below 2^-114: 2^k is beyond float, the product exact in double.
                for (int j = 0; j < 32; j++) tiny[j] = (int)Math.Round(Math.ScaleB(x[j], k), MidpointRounding.ToEven);
                evens = Vector512.Load(tiny);
                odds = Vector512.Load(tiny + 16);
            }
            byte* quad = dest.Quad(g);
            StoreBytes(evens, quad, quad + 64);
            StoreBytes(odds, quad + 128, quad + 192);
            dest.Exponents[g] = -1 - k;
            dest.Corrections[g] = -WeightOffset * Vector512.Sum(evens + odds);
        }
        for (int g = blocks; g < PaddedBlocks(cols); g++)
        {
            // Zero bytes against any weights add zero; exponent 1 keeps the padding's multiplier a normal float.
            byte* quad = dest.Quad(g);
            for (int plane = 0; plane < 4; plane++) Vector128<byte>.Zero.Store(quad + 64 * plane);
            dest.Exponents[g] = 1;
            dest.Corrections[g] = 0;
        }
        return true;
    }

    /// <summary>q = 256·hi + lo with lo the sign-extended low byte: 16 values into the hi and lo planes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreBytes(Vector512<int> q, byte* hi, byte* lo)
    {
        var low = Avx512F.ShiftRightArithmetic(Avx512F.ShiftLeftLogical(q, 24), 24);
        Avx512F.ConvertToVector128SByte(Avx512F.ShiftRightArithmetic(q - low, 8)).Store((sbyte*)hi);
        Avx512F.ConvertToVector128SByte(low).Store((sbyte*)lo);
    }
}
