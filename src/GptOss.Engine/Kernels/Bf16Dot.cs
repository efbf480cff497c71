using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GptOss.Engine.Kernels;

/// <summary>
/// Dot products of BF16 rows with a split activation vector. A 32-bit lane holds two BF16 values:
/// shifting it left 16 bits gives the even one as float, masking the low half gives the odd one,
/// which is why the activation arrives split into even and odd halves per 32 columns.
/// </summary>
internal static unsafe class Bf16Dot
{
    public static void Dot4(KernelIsa isa, in Bf16Matrix w, int row, float* xs, float* result)
    {
        ushort* r = w.Row(row);
        int cols = w.Cols;
        if (isa == KernelIsa.Avx512) Avx512Rows4(r, cols, xs, result);
        else
            for (int k = 0; k < 4; k++) result[k] = Dot1(isa, w, row + k, xs);
    }

    public static float Dot1(KernelIsa isa, in Bf16Matrix w, int row, float* xs)
    {
        ushort* r = w.Row(row);
        int cols = w.Cols;
        return isa switch
        {
            KernelIsa.Avx512 => Avx512Row(r, cols, xs),
            KernelIsa.Avx2 => Avx2Row(r, cols, xs),
            _ => Scalar(r, cols, xs),
        };
    }

    public static float Scalar(ushort* r, int cols, float* xs)
    {
        float acc = 0f;
        for (int c = 0; c < cols; c++) acc += Fp.Bf16ToFloat(r[c]) * xs[ActivationSplit.IndexOf(c, cols)];
        return acc;
    }

    private static float Tail(ushort* r, int from, int cols, float* xs)
    {
        float acc = 0f;
        for (int c = from; c < cols; c++) acc += Fp.Bf16ToFloat(r[c]) * xs[c];
        return acc;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Fma512(ushort* p, Vector512<float> xe, Vector512<float> xo, Vector512<float> acc)
    {
        var v = Vector512.Load((uint*)p);
        acc = Avx512F.FusedMultiplyAdd((v << 16).AsSingle(), xe, acc);
        return Avx512F.FusedMultiplyAdd((v & Vector512.Create(0xFFFF0000u)).AsSingle(), xo, acc);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Avx512Rows4(ushort* r, int cols, float* xs, float* result)
    {
        int full = cols & ~31;
        ushort* r1 = r + cols, r2 = r1 + cols, r3 = r2 + cols;
        Vector512<float> acc0 = default, acc1 = default, acc2 = default, acc3 = default;
        for (int c = 0; c < full; c += 32)
        {
            var xe = Vector512.Load(xs + c);
            var xo = Vector512.Load(xs + c + 16);
            acc0 = Fma512(r + c, xe, xo, acc0);
            acc1 = Fma512(r1 + c, xe, xo, acc1);
            acc2 = Fma512(r2 + c, xe, xo, acc2);
            acc3 = Fma512(r3 + c, xe, xo, acc3);
        }
        result[0] = Vector512.Sum(acc0) + Tail(r, full, cols, xs);
        result[1] = Vector512.Sum(acc1) + Tail(r1, full, cols, xs);
        result[2] = Vector512.Sum(acc2) + Tail(r2, full, cols, xs);
        result[3] = Vector512.Sum(acc3) + Tail(r3, full, cols, xs);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Avx512Row(ushort* r, int cols, float* xs)
    {
        int full = cols & ~31;
        Vector512<float> acc = default;
        for (int c = 0; c < full; c += 32) acc = Fma512(r + c, Vector512.Load(xs + c), Vector512.Load(xs + c + 16), acc);
        return Vector512.Sum(acc) + Tail(r, full, cols, xs);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Avx2Row(ushort* r, int cols, float* xs)
    {
        int full = cols & ~31;
        var high = Vector256.Create(0xFFFF0000u);
        Vector256<float> acc = default;
        for (int c = 0; c < full; c += 32)
        {
            // Columns c..c+15 pair with evens 0..7 / odds 0..7 of the block, c+16..c+31 with 8..15.
            var v0 = Vector256.Load((uint*)(r + c));
            var v1 = Vector256.Load((uint*)(r + c + 16));
            acc = Fma.MultiplyAdd((v0 << 16).AsSingle(), Vector256.Load(xs + c), acc);
            acc = Fma.MultiplyAdd((v1 << 16).AsSingle(), Vector256.Load(xs + c + 8), acc);
            acc = Fma.MultiplyAdd((v0 & high).AsSingle(), Vector256.Load(xs + c + 16), acc);
            acc = Fma.MultiplyAdd((v1 & high).AsSingle(), Vector256.Load(xs + c + 24), acc);
        }
        return Vector256.Sum(acc) + Tail(r, full, cols, xs);
    }
}
