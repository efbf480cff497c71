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
    private static float Avx512Row(ushort* r, int cols, float* xs)
    {
        // Two accumulators hide the FMA latency; one row at a time keeps one sequential stream per thread.
        int full = cols & ~31, c = 0;
        Vector512<float> acc0 = default, acc1 = default;
        for (; c + 64 <= full; c += 64)
        {
            acc0 = Fma512(r + c, Vector512.Load(xs + c), Vector512.Load(xs + c + 16), acc0);
            acc1 = Fma512(r + c + 32, Vector512.Load(xs + c + 32), Vector512.Load(xs + c + 48), acc1);
        }
        if (c < full) acc0 = Fma512(r + c, Vector512.Load(xs + c), Vector512.Load(xs + c + 16), acc0);
        return Vector512.Sum(acc0 + acc1) + Tail(r, full, cols, xs);
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
