using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GptOss.Engine.Kernels;

/// <summary>
/// Dot products of MXFP4 rows with a split activation vector (<see cref="ActivationSplit"/>),
/// fp32 accumulation. Codes become floats through a 16-entry permute table; each block's sum is
/// scaled once. Rows holding the scale 255 (multiplier +∞, see <see cref="Fp.E8M0"/>) take the exact scalar path.
/// Hot loops are marked AggressiveOptimization: the first calls must not run as slow tier-0 code.
/// </summary>
internal static unsafe class Mxfp4Dot
{
    /// <summary>Rows row..row+3 → result[0..3] (four rows share each activation load: the small-batch GEMM's tail).</summary>
    public static void Dot4(KernelIsa isa, in Mxfp4Matrix w, int row, float* xs, float* result)
    {
        int blocks = w.BlocksPerRow;
        byte* b = w.RowBlocks(row);
        byte* s = w.RowScales(row);
        if (isa == KernelIsa.Scalar || ScaleScan.ContainsMax(s, 4 * blocks))
        {
            for (int k = 0; k < 4; k++) result[k] = Scalar(b + k * blocks * 16, s + k * blocks, blocks, xs);
        }
        else if (isa == KernelIsa.Avx512) Avx512Rows4(b, s, blocks, xs, result);
        else Avx2Rows4(b, s, blocks, xs, result);
    }

    public static float Dot1(KernelIsa isa, in Mxfp4Matrix w, int row, float* xs) => Dot1(isa, w, row, xs, default);

    /// <summary>
    /// Row <paramref name="row"/> against the split activations, or against their integer form <paramref name="q"/>
    /// when one was made (<see cref="Mxfp4Activations.Int16"/>) and the row has no scale 255.
    /// </summary>
    public static float Dot1(KernelIsa isa, in Mxfp4Matrix w, int row, float* xs, in Int16Blocks q)
    {
        int blocks = w.BlocksPerRow;
        byte* b = w.RowBlocks(row);
        byte* s = w.RowScales(row);
        // Known bounds spare the per-row scan for 255 and, where they allow, the guarded multipliers.
        bool rowHoldsMax = w.KnownScales is not { Max: < Fp.MaxScale } && ScaleScan.ContainsMax(s, blocks);
        if (isa == KernelIsa.Scalar || rowHoldsMax) return Scalar(b, s, blocks, xs);
        if (!q.IsEmpty)
        {
            float result;
            Mxfp4Int16Dot.Rows(b, s, blocks, 1, q, w.KnownScales, &result);
            return result;
        }
        return isa == KernelIsa.Avx512 ? Avx512Row(b, s, blocks, xs) : Avx2Row(b, s, blocks, xs);
    }

    /// <summary>
    /// Rows row..row+count−1 → results[0..count): <see cref="Dot1"/> each, or one integer kernel call for the run where the
    /// matrix's scale bounds are known and hold no 255.
    /// </summary>
    public static void DotRows(KernelIsa isa, in Mxfp4Matrix w, int row, int count, float* xs, in Int16Blocks q, float* results)
    {
        if (!q.IsEmpty && w.KnownScales is { Max: < Fp.MaxScale })
        {
            Mxfp4Int16Dot.Rows(w.RowBlocks(row), w.RowScales(row), w.BlocksPerRow, count, q, w.KnownScales, results);
            return;
        }
        for (int k = 0; k < count; k++) results[k] = Dot1(isa, w, row + k, xs, q);
    }

    /// <summary>
    /// The exact path, for every scale: a block's sum scaled once, except a block of scale 255, whose weights are the
    /// reference's ±∞ (NaN for zero codes) one by one, so its products follow IEEE as the reference's matmul does.
    /// </summary>
    public static float Scalar(byte* b, byte* s, int blocks, float* xs)
    {
        ReadOnlySpan<float> lut = Fp4.Values;
        float acc = 0f;
        for (int g = 0; g < blocks; g++, b += 16, xs += 32)
        {
            float sum = 0f, weightScale = s[g] == Fp.MaxScale ? Fp.ScaleTable[s[g]] : 1f;
            for (int j = 0; j < 16; j++)
            {
                sum += lut[b[j] & 15] * weightScale * xs[j];
                sum += lut[b[j] >> 4] * weightScale * xs[16 + j];
            }
            acc += s[g] == Fp.MaxScale ? sum : sum * Fp.ScaleTable[s[g]];
        }
        return acc;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> BlockSum512(Vector512<float> lut, byte* block, Vector512<float> xe, Vector512<float> xo)
    {
        // vpermps reads only the low 4 bits of each index: the low nibble needs no mask.
        var codes = Avx512F.ConvertToVector512Int32(Vector128.Load(block));
        var lo = Avx512F.PermuteVar16x32(lut, codes);
        var hi = Avx512F.PermuteVar16x32(lut, Avx512F.ShiftRightLogical(codes, 4));
        return Avx512F.FusedMultiplyAdd(hi, xo, lo * xe);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Avx512Rows4(byte* b, byte* s, int blocks, float* xs, float* result)
    {
        var lut = Fp4.Values512;
        float* scale = Fp.ScaleTable;
        byte* b1 = b + blocks * 16, b2 = b1 + blocks * 16, b3 = b2 + blocks * 16;
        byte* s1 = s + blocks, s2 = s1 + blocks, s3 = s2 + blocks;
        Vector512<float> acc0 = default, acc1 = default, acc2 = default, acc3 = default;
        for (int g = 0; g < blocks; g++)
        {
            var xe = Vector512.Load(xs + 32 * g);
            var xo = Vector512.Load(xs + 32 * g + 16);
            int o = 16 * g;
            acc0 = Avx512F.FusedMultiplyAdd(BlockSum512(lut, b + o, xe, xo), Vector512.Create(scale[s[g]]), acc0);
            acc1 = Avx512F.FusedMultiplyAdd(BlockSum512(lut, b1 + o, xe, xo), Vector512.Create(scale[s1[g]]), acc1);
            acc2 = Avx512F.FusedMultiplyAdd(BlockSum512(lut, b2 + o, xe, xo), Vector512.Create(scale[s2[g]]), acc2);
            acc3 = Avx512F.FusedMultiplyAdd(BlockSum512(lut, b3 + o, xe, xo), Vector512.Create(scale[s3[g]]), acc3);
        }
        result[0] = Vector512.Sum(acc0);
        result[1] = Vector512.Sum(acc1);
        result[2] = Vector512.Sum(acc2);
        result[3] = Vector512.Sum(acc3);
    }

    /// <remarks>
    /// One row at a time, two accumulators: a single sequential stream per thread keeps the hardware prefetcher
    /// ahead (interleaved row streams read DRAM slower).
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Avx512Row(byte* b, byte* s, int blocks, float* xs)
    {
        var lut = Fp4.Values512;
        float* scale = Fp.ScaleTable;
        Vector512<float> acc0 = default, acc1 = default;
        int g = 0;
        for (; g + 1 < blocks; g += 2)
        {
            var sum0 = BlockSum512(lut, b + 16 * g, Vector512.Load(xs + 32 * g), Vector512.Load(xs + 32 * g + 16));
            var sum1 = BlockSum512(lut, b + 16 * g + 16, Vector512.Load(xs + 32 * g + 32), Vector512.Load(xs + 32 * g + 48));
            acc0 = Avx512F.FusedMultiplyAdd(sum0, Vector512.Create(scale[s[g]]), acc0);
            acc1 = Avx512F.FusedMultiplyAdd(sum1, Vector512.Create(scale[s[g + 1]]), acc1);
        }
        if (g < blocks)
        {
            var sum = BlockSum512(lut, b + 16 * g, Vector512.Load(xs + 32 * g), Vector512.Load(xs + 32 * g + 16));
            acc0 = Avx512F.FusedMultiplyAdd(sum, Vector512.Create(scale[s[g]]), acc0);
        }
        return Vector512.Sum(acc0 + acc1);
    }

    // AVX2 has only an 8-entry permute: look up the magnitude by the low 3 bits, then move bit 3 of
    // the code into the float's sign bit.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Decode256(Vector256<float> lut, Vector256<int> codes)
    {
        var magnitude = Avx2.PermuteVar8x32(lut, codes);
        var sign = Avx2.ShiftLeftLogical(codes, 28) & Vector256.Create(int.MinValue);
        return magnitude ^ sign.AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> BlockSum256(Vector256<float> lut, byte* block, float* x)
    {
        var c0 = Avx2.ConvertToVector256Int32(block);
        var c1 = Avx2.ConvertToVector256Int32(block + 8);
        var sum = Decode256(lut, c0) * Vector256.Load(x);
        sum = Fma.MultiplyAdd(Decode256(lut, c1), Vector256.Load(x + 8), sum);
        sum = Fma.MultiplyAdd(Decode256(lut, Avx2.ShiftRightLogical(c0, 4)), Vector256.Load(x + 16), sum);
        return Fma.MultiplyAdd(Decode256(lut, Avx2.ShiftRightLogical(c1, 4)), Vector256.Load(x + 24), sum);
    }

    private static void Avx2Rows4(byte* b, byte* s, int blocks, float* xs, float* result)
    {
        for (int k = 0; k < 4; k++) result[k] = Avx2Row(b + k * blocks * 16, s + k * blocks, blocks, xs);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Avx2Row(byte* b, byte* s, int blocks, float* xs)
    {
        var lut = Fp4.Magnitudes256;
        float* scale = Fp.ScaleTable;
        Vector256<float> acc = default;
        for (int g = 0; g < blocks; g++)
            acc = Fma.MultiplyAdd(BlockSum256(lut, b + 16 * g, xs + 32 * g), Vector256.Create(scale[s[g]]), acc);
        return Vector256.Sum(acc);
    }
    /// <summary>
    /// Rows row..row+3 against tokens 0..3 (split activations tokenStride floats apart) → result[t*4+k].
    /// Each block is decoded once (scale folded into the table) and used by all four tokens.
    /// </summary>
    public static void Dot4x4(KernelIsa isa, in Mxfp4Matrix w, int row, float* xs, long tokenStride, float* result)
    {
        int blocks = w.BlocksPerRow;
        byte* b = w.RowBlocks(row);
        byte* s = w.RowScales(row);
        if (isa != KernelIsa.Avx512 || ScaleScan.ContainsMax(s, 4 * blocks))
        {
            for (int t = 0; t < 4; t++) Dot4(isa, w, row, xs + t * tokenStride, result + 4 * t);
            return;
        }
        Avx512Rows4Tokens4(b, s, blocks, xs, tokenStride, result);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Avx512Rows4Tokens4(byte* b, byte* s, int blocks, float* xs, long tokenStride, float* result)
    {
        var lut = Fp4.Values512;
        float* scale = Fp.ScaleTable;
        long rowBytes = blocks * 16;
        float* x0 = xs, x1 = xs + tokenStride, x2 = x1 + tokenStride, x3 = x2 + tokenStride;
        Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default;
        Vector512<float> a10 = default, a11 = default, a12 = default, a13 = default;
        Vector512<float> a20 = default, a21 = default, a22 = default, a23 = default;
        Vector512<float> a30 = default, a31 = default, a32 = default, a33 = default;
        for (int g = 0; g < blocks; g++)
        {
            byte* p = b + 16 * g;
            var c0 = Avx512F.ConvertToVector512Int32(Vector128.Load(p));
            var c1 = Avx512F.ConvertToVector512Int32(Vector128.Load(p + rowBytes));
            var c2 = Avx512F.ConvertToVector512Int32(Vector128.Load(p + 2 * rowBytes));
            var c3 = Avx512F.ConvertToVector512Int32(Vector128.Load(p + 3 * rowBytes));
            var t0 = lut * Vector512.Create(scale[s[g]]);
            var t1 = lut * Vector512.Create(scale[s[g + blocks]]);
            var t2 = lut * Vector512.Create(scale[s[g + 2 * blocks]]);
            var t3 = lut * Vector512.Create(scale[s[g + 3 * blocks]]);
            var lo0 = Avx512F.PermuteVar16x32(t0, c0);
            var lo1 = Avx512F.PermuteVar16x32(t1, c1);
            var lo2 = Avx512F.PermuteVar16x32(t2, c2);
            var lo3 = Avx512F.PermuteVar16x32(t3, c3);
            var hi0 = Avx512F.PermuteVar16x32(t0, Avx512F.ShiftRightLogical(c0, 4));
            var hi1 = Avx512F.PermuteVar16x32(t1, Avx512F.ShiftRightLogical(c1, 4));
            var hi2 = Avx512F.PermuteVar16x32(t2, Avx512F.ShiftRightLogical(c2, 4));
            var hi3 = Avx512F.PermuteVar16x32(t3, Avx512F.ShiftRightLogical(c3, 4));
            int o = 32 * g;
            var xe = Vector512.Load(x0 + o);
            var xo = Vector512.Load(x0 + o + 16);
            a00 = Avx512F.FusedMultiplyAdd(hi0, xo, Avx512F.FusedMultiplyAdd(lo0, xe, a00));
            a01 = Avx512F.FusedMultiplyAdd(hi1, xo, Avx512F.FusedMultiplyAdd(lo1, xe, a01));
            a02 = Avx512F.FusedMultiplyAdd(hi2, xo, Avx512F.FusedMultiplyAdd(lo2, xe, a02));
            a03 = Avx512F.FusedMultiplyAdd(hi3, xo, Avx512F.FusedMultiplyAdd(lo3, xe, a03));
            xe = Vector512.Load(x1 + o);
            xo = Vector512.Load(x1 + o + 16);
            a10 = Avx512F.FusedMultiplyAdd(hi0, xo, Avx512F.FusedMultiplyAdd(lo0, xe, a10));
            a11 = Avx512F.FusedMultiplyAdd(hi1, xo, Avx512F.FusedMultiplyAdd(lo1, xe, a11));
            a12 = Avx512F.FusedMultiplyAdd(hi2, xo, Avx512F.FusedMultiplyAdd(lo2, xe, a12));
            a13 = Avx512F.FusedMultiplyAdd(hi3, xo, Avx512F.FusedMultiplyAdd(lo3, xe, a13));
            xe = Vector512.Load(x2 + o);
            xo = Vector512.Load(x2 + o + 16);
            a20 = Avx512F.FusedMultiplyAdd(hi0, xo, Avx512F.FusedMultiplyAdd(lo0, xe, a20));
            a21 = Avx512F.FusedMultiplyAdd(hi1, xo, Avx512F.FusedMultiplyAdd(lo1, xe, a21));
            a22 = Avx512F.FusedMultiplyAdd(hi2, xo, Avx512F.FusedMultiplyAdd(lo2, xe, a22));
            a23 = Avx512F.FusedMultiplyAdd(hi3, xo, Avx512F.FusedMultiplyAdd(lo3, xe, a23));
            xe = Vector512.Load(x3 + o);
            xo = Vector512.Load(x3 + o + 16);
            a30 = Avx512F.FusedMultiplyAdd(hi0, xo, Avx512F.FusedMultiplyAdd(lo0, xe, a30));
            a31 = Avx512F.FusedMultiplyAdd(hi1, xo, Avx512F.FusedMultiplyAdd(lo1, xe, a31));
            a32 = Avx512F.FusedMultiplyAdd(hi2, xo, Avx512F.FusedMultiplyAdd(lo2, xe, a32));
            a33 = Avx512F.FusedMultiplyAdd(hi3, xo, Avx512F.FusedMultiplyAdd(lo3, xe, a33));
        }
        result[0] = Vector512.Sum(a00); result[1] = Vector512.Sum(a01); result[2] = Vector512.Sum(a02); result[3] = Vector512.Sum(a03);
        result[4] = Vector512.Sum(a10); result[5] = Vector512.Sum(a11); result[6] = Vector512.Sum(a12); result[7] = Vector512.Sum(a13);
        result[8] = Vector512.Sum(a20); result[9] = Vector512.Sum(a21); result[10] = Vector512.Sum(a22); result[11] = Vector512.Sum(a23);
        result[12] = Vector512.Sum(a30); result[13] = Vector512.Sum(a31); result[14] = Vector512.Sum(a32); result[15] = Vector512.Sum(a33);
    }
}
