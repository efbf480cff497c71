using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GptOss.Engine.Kernels;

/// <summary>
/// Expands MXFP4 rows to BF16 bits or float32, row-major [rows, cols]. Every decoded value is exact
/// in both (one mantissa bit times a power of two).
/// </summary>
internal static unsafe class Mxfp4Dequantize
{
    public static void RowToF32(KernelIsa isa, in Mxfp4Matrix w, int row, float* dest)
    {
        if (isa == KernelIsa.Avx512) Avx512Row(w, row, dest);
        else ScalarRow(w, row, dest, null);
    }

    public static void RowToBf16(KernelIsa isa, in Mxfp4Matrix w, int row, ushort* dest) => RowToBf16(isa, w, row, dest, 32);

    /// <summary>
    /// The row's 32-column blocks to BF16, block g at <paramref name="dest"/> + g·<paramref name="blockStride"/> (32: row-major;
    /// more: the blocks of several rows interleaved, as <see cref="Mxfp4TileGemm"/>'s tiles hold them).
    /// </summary>
    public static void RowToBf16(KernelIsa isa, in Mxfp4Matrix w, int row, ushort* dest, long blockStride)
    {
        if (isa == KernelIsa.Avx512) Avx512Bf16Row(w, row, dest, blockStride);
        else ScalarRow(w, row, null, dest, blockStride);
    }

    private static void ScalarRow(in Mxfp4Matrix w, int row, float* f32, ushort* bf16, long bf16BlockStride = 32)
    {
        byte* b = w.RowBlocks(row);
        byte* s = w.RowScales(row);
        for (int g = 0; g < w.BlocksPerRow; g++) ScalarBlock(b + 16 * g, s[g], f32 == null ? null : f32 + 32 * g, bf16 == null ? null : bf16 + g * bf16BlockStride);
    }

    private static void ScalarBlock(byte* b, byte s, float* f32, ushort* bf16)
    {
        ReadOnlySpan<float> lut = Fp4.Values;
        float scale = Fp.ScaleTable[s];
        for (int j = 0; j < 32; j++)
        {
            byte code = b[j / 2];
            float v = lut[(j & 1) == 0 ? code & 15 : code >> 4] * scale;
            if (f32 != null) f32[j] = v;
            else bf16[j] = (ushort)(BitConverter.SingleToUInt32Bits(v) >> 16);
        }
    }

    /// <summary>
    /// BF16 straight from a 16-entry table of BF16 words: the block scale is added to the table's
    /// exponent bits (zeros kept zero), byte j is widened to a 32-bit lane that holds its low nibble
    /// in the low word and its high nibble in the high word, and vpermw maps all 32 at once: two
    /// shuffles per block. Exponents whose products leave the normal range take the scalar path.
    /// </summary>
    private static void Avx512Bf16Row(in Mxfp4Matrix w, int row, ushort* dest, long blockStride)
    {
        byte* b = w.RowBlocks(row);
        byte* s = w.RowScales(row);
        int blocks = w.BlocksPerRow;
        bool allInRange = w.KnownScales is { Min: >= MinVectorScale, Max: <= MaxVectorScale };
        for (int g = 0; ; g++)
        {
            int end = g;
            if (allInRange) end = blocks;
            else while (end < blocks && (uint)(s[end] - MinVectorScale) <= MaxVectorScale - MinVectorScale) end++;
            Avx512Bf16Blocks(b + 16 * g, s + g, end - g, dest + g * blockStride, blockStride);
            if (end == blocks) return;
            g = end;
            ScalarBlock(b + 16 * g, s[g], null, dest + g * blockStride);
        }
    }

    /// <summary>FP4 magnitudes span 2^-1..2^2: scaled by 2^(s − 127), they stay normal BF16 for s in this range.</summary>
    private const int MinVectorScale = 2, MaxVectorScale = 252;

    /// <summary>
    /// <paramref name="count"/> blocks whose scales are all in the vector range, block g to dest + g·blockStride. No
    /// branch or call inside, so the JIT keeps the tables in registers (with the scalar call in the same loop it kept
    /// them on the stack: ~3× slower).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static void Avx512Bf16Blocks(byte* b, byte* s, int count, ushort* dest, long blockStride)
    {
        var table = Fp4.Bf16Words512;
        // The exponent goes to the non-zero codes only: ±0 keep their bits; the bias 127 is taken off the table once.
        var nonZero = ~Vector512.Equals(table & Vector512.Create((short)0x7FFF), Vector512<short>.Zero);
        var biased = table - (Vector512.Create((short)(127 << 7)) & nonZero);
        var nibbles = Vector512.Create(0x000F000Fu);
        for (byte* end = s + count; s < end; s++, b += 16, dest += blockStride)
        {
            var scaled = biased + (Vector512.Create((short)(*s << 7)) & nonZero);
            var bytes = Avx512F.ConvertToVector512UInt32(Vector128.Load(b));
            // (byte | byte << 12) & 0x000F000F: low word = low nibble, high word = high nibble.
            var index = Avx512F.TernaryLogic(bytes, bytes << 12, nibbles, 0xA8);
            Avx512BW.PermuteVar32x16(scaled, index.AsInt16()).AsUInt16().Store(dest);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Avx512Row(in Mxfp4Matrix w, int row, float* f32)
    {
        var lut = Fp4.Values512;
        var first = Vector512.Create(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
        var second = first + Vector512.Create(8);
        byte* b = w.RowBlocks(row);
        byte* s = w.RowScales(row);
        for (int g = 0; g < w.BlocksPerRow; g++)
        {
            var table = lut * Vector512.Create(Fp.ScaleTable[s[g]]);
            var codes = Avx512F.ConvertToVector512Int32(Vector128.Load(b + 16 * g));
            var lo = Avx512F.PermuteVar16x32(table, codes);
            var hi = Avx512F.PermuteVar16x32(table, Avx512F.ShiftRightLogical(codes, 4));
            var v0 = Avx512F.PermuteVar16x32x2(lo, first, hi);
            var v1 = Avx512F.PermuteVar16x32x2(lo, second, hi);
            v0.Store(f32 + 32 * g);
            v1.Store(f32 + 32 * g + 16);
        }
    }
}
