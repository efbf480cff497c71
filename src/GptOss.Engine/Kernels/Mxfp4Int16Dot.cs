using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GptOss.Engine.Kernels;

/// <summary>
/// MXFP4 rows against <see cref="Int16Blocks"/>, 16 blocks per step. A quad of blocks is one 64-byte load: low and high
/// nibbles → vpshufb through a table of 2·E2M1 + 12 (a non-negative byte) → vpmaddubsw against the activation's hi and
/// lo bytes → vpmaddwd by 256 and 1: exact int32 partial sums, four lanes per block. Three two-source permutes and adds
/// reduce four quads to one lane per block, the correction −12·Σq makes each an exact block dot product, and one
/// convert and one FMA apply the sixteen blocks' multipliers, built as float exponents (E8M0 + the block's −1 − k).
/// About a third of the instructions of a float or sign-extending integer kernel per block (AVX-512 BW; rows with
/// scale 255 must not come here).
/// </summary>
internal static unsafe class Mxfp4Int16Dot
{
    /// <summary>
    /// How far ahead of its loads the row loop prefetches its blocks (and its scales as many rows ahead): ~2.8 rows of
    /// 20b's 2880 columns, so DRAM latency hides behind the rows in flight (measurements: docs/performance.md, stop 12).
    /// </summary>
    private const int PrefetchBytes = 4096;

    /// <summary>Whether rows can take this path on <paramref name="isa"/>.</summary>
    public static bool Handles(KernelIsa isa) => isa == KernelIsa.Avx512 && Avx512BW.VL.IsSupported;

    /// <summary>
    /// Whether every block multiplier of a matrix with these scales against <paramref name="x"/> is a normal float
    /// (E8M0 + the block's exponent within [1, 254], no scale 255): then <see cref="NormalExponents"/> builds them.
    /// </summary>
    public static bool AllNormal(ScaleBounds scales, in Int16Blocks x) =>
        scales.Max != Fp.MaxScale && scales.Min + (long)x.MinExponent >= 1 && scales.Max + (long)x.MaxExponent <= 254;

    /// <summary>
    /// <see cref="Rows{TMultiplier}"/> with the plain multiplier where the matrix's scale bounds are known and keep every
    /// multiplier of <paramref name="x"/> normal (<see cref="AllNormal"/>), the exact guarded one otherwise (no scale 255).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Rows(byte* b, byte* s, int blocks, int count, in Int16Blocks x, ScaleBounds? scales, float* results)
    {
        if (scales is { } bounds && AllNormal(bounds, x)) Rows<NormalExponents>(b, s, blocks, count, x, results);
        else Rows<AnyExponents>(b, s, blocks, count, x, results);
    }

    /// <summary>
    /// <paramref name="count"/> consecutive rows (row k's blocks and scales follow row k − 1's) → results[0..count), the
    /// constants and the masks of a row's last partial step built once per call, not per row.
    /// </summary>
    /// <remarks>
    /// Written for the JIT: constants built in the method and passed by value, accumulators never passed by reference
    /// (an earlier kernel that did ran at half speed), pointers that advance. A row's last partial step loads its blocks
    /// and scales under a mask (zeros past the row's end, and no access there).
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Rows<TMultiplier>(byte* b, byte* s, int blocks, int count, in Int16Blocks x, float* results) where TMultiplier : struct, IBlockMultiplier
    {
        var table = Fp4.DoubledPlus12Bytes512;
        var evens = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        var index = Vector512.Create((byte)0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31,
            32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63);
        int rest = blocks & (Int16Blocks.GroupBlocks - 1), valid = 16 * rest;
        Vector512<byte> m0 = FirstBytes(index, valid), m1 = FirstBytes(index, valid - 64), m2 = FirstBytes(index, valid - 128), m3 = FirstBytes(index, valid - 192);
        var ms = FirstBytes(index, rest).GetLower().GetLower();
        long full = 16L * (blocks & ~(Int16Blocks.GroupBlocks - 1));
        for (int r = 0; r < count; r++, b += 16L * blocks, s += blocks)
        {
            byte* p = b, scales = s, a = x.Bytes;
            int* exponents = x.Exponents, corrections = x.Corrections;
            var acc = Vector512<float>.Zero;
            // Whole cache lines, shifted into place: a row starts wherever its tensor and the rows before it put it (a
            // 1440-byte row every other one off a line), and 64-byte loads across two lines streamed BF16 rows from DRAM
            // at ~70 % of the whole-line rate here (Native/bf16_rows.inc). Byte i of a group's vector k is byte
            // i + offset of lines k, k + 1.
            nint offset = (nint)p & 63;
            var shift = index + Vector512.Create((byte)offset);
            for (byte* end = b + full, line = p - offset; p < end; p += 256, line += 256, scales += 16, a += 1024, exponents += 16, corrections += 16)
            {
                Sse.Prefetch0(p + PrefetchBytes);
                Sse.Prefetch0(p + PrefetchBytes + 64);
                Sse.Prefetch0(p + PrefetchBytes + 128);
                Sse.Prefetch0(p + PrefetchBytes + 192);
                Sse.Prefetch0(scales + PrefetchBytes / 16);
                Vector512<byte> p0, p1, p2, p3;
                if (Avx512Vbmi.IsSupported)
                {
                    // The fifth line holds the group's last bytes when offset > 0 (and lies in the same page as they do).
                    Vector512<byte> l0 = Vector512.Load(line), l1 = Vector512.Load(line + 64), l2 = Vector512.Load(line + 128),
                        l3 = Vector512.Load(line + 192), l4 = Vector512.Load(line + (offset == 0 ? 192 : 256));
                    (p0, p1, p2, p3) = (Avx512Vbmi.PermuteVar64x8x2(l0, shift, l1), Avx512Vbmi.PermuteVar64x8x2(l1, shift, l2),
                        Avx512Vbmi.PermuteVar64x8x2(l2, shift, l3), Avx512Vbmi.PermuteVar64x8x2(l3, shift, l4));
                }
                else (p0, p1, p2, p3) = (Vector512.Load(p), Vector512.Load(p + 64), Vector512.Load(p + 128), Vector512.Load(p + 192));
                acc = Group<TMultiplier>(table, evens, p0, p1, p2, p3,
                    Vector128.Load(scales), a, exponents, corrections, acc);
            }
            if (rest != 0)
                acc = Group<TMultiplier>(table, evens,
                    Avx512BW.MaskLoad(p, m0, Vector512<byte>.Zero), Avx512BW.MaskLoad(p + 64, m1, Vector512<byte>.Zero),
                    Avx512BW.MaskLoad(p + 128, m2, Vector512<byte>.Zero), Avx512BW.MaskLoad(p + 192, m3, Vector512<byte>.Zero),
                    Avx512BW.VL.MaskLoad(scales, ms, Vector128<byte>.Zero), a, exponents, corrections, acc);
            results[r] = Vector512.Sum(acc);
        }
    }

    /// <summary>A load mask of the first <paramref name="count"/> bytes (none when count ≤ 0, all 64 from 64 on).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<byte> FirstBytes(Vector512<byte> index, int count) =>
        Vector512.LessThan(index, Vector512.Create((byte)Math.Clamp(count, 0, 64)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Group<TMultiplier>(Vector512<byte> table, Vector512<int> evens, Vector512<byte> p0, Vector512<byte> p1,
        Vector512<byte> p2, Vector512<byte> p3, Vector128<byte> scales, byte* a, int* exponents, int* corrections, Vector512<float> acc) where TMultiplier : struct, IBlockMultiplier
    {
        var odds = evens + Vector512<int>.One;
        var q0 = Quad(table, p0, a);
        var q1 = Quad(table, p1, a + 256);
        var q2 = Quad(table, p2, a + 512);
        var q3 = Quad(table, p3, a + 768);
        // Adjacent lanes summed: four lanes per block → two → one, blocks in order.
        var q01 = Avx512F.PermuteVar16x32x2(q0, evens, q1) + Avx512F.PermuteVar16x32x2(q0, odds, q1);
        var q23 = Avx512F.PermuteVar16x32x2(q2, evens, q3) + Avx512F.PermuteVar16x32x2(q2, odds, q3);
        var sums = Avx512F.PermuteVar16x32x2(q01, evens, q23) + Avx512F.PermuteVar16x32x2(q01, odds, q23) + Vector512.Load(corrections);
        var exponent = Avx512F.ConvertToVector512Int32(scales) + Vector512.Load(exponents);
        var scale = TMultiplier.Of(exponent);
        return Avx512F.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(sums), scale, acc);
    }

    /// <summary>Four blocks: int32 partial dot products, lanes 4i..4i+3 for block i.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> Quad(Vector512<byte> table, Vector512<byte> packed, byte* a)
    {
        var nibble = Vector512.Create((byte)15);
        var even = Avx512BW.Shuffle(table, packed & nibble);
        var odd = Avx512BW.Shuffle(table, Avx512BW.ShiftRightLogical(packed.AsUInt16(), 4).AsByte() & nibble);
        // Pair sums of byte products stay within int16: |24·64·2| on the hi plane, |24·128·2| on the lo one, doubled.
        var hi = Avx512BW.MultiplyAddAdjacent(even, Vector512.Load((sbyte*)a)) + Avx512BW.MultiplyAddAdjacent(odd, Vector512.Load((sbyte*)a + 128));
        var lo = Avx512BW.MultiplyAddAdjacent(even, Vector512.Load((sbyte*)a + 64)) + Avx512BW.MultiplyAddAdjacent(odd, Vector512.Load((sbyte*)a + 192));
        return Avx512BW.MultiplyAddAdjacent(hi, Vector512.Create((short)256)) + Avx512BW.MultiplyAddAdjacent(lo, Vector512<short>.One);
    }

    /// <summary>Block multipliers 2^(e − 127) from the summed exponents e, as float32 bits.</summary>
    public interface IBlockMultiplier
    {
        static abstract Vector512<float> Of(Vector512<int> e);
    }

    /// <summary>
    /// Exactly, for any e: the exponent field where e is in [1, 254]; +∞ above; below, the subnormal 2^-127 … 2^-149 as
    /// a single shifted bit, then 0. Branch-free: a call here would make the JIT spill the accumulator around it.
    /// </summary>
    public readonly struct AnyExponents : IBlockMultiplier
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Of(Vector512<int> e)
        {
            var normal = Avx512F.ShiftLeftLogical(Vector512.Min(e, Vector512.Create(255)), 23);
            var subnormal = Avx512F.ShiftRightLogicalVariable(Vector512.Create(0x00400000), (-e).AsUInt32());
            return Vector512.ConditionalSelect(Vector512.GreaterThan(e, Vector512<int>.Zero), normal, subnormal).AsSingle();
        }
    }

    /// <summary>For e in [1, 254] only (<see cref="AllNormal"/>): the exponent field alone.</summary>
    public readonly struct NormalExponents : IBlockMultiplier
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Of(Vector512<int> e) => Avx512F.ShiftLeftLogical(e, 23).AsSingle();
    }
}
