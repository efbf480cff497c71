using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GptOss.Engine.Kernels;

/// <summary>
/// Float32 row · split activation (see <see cref="ActivationSplit"/>): the AVX-512 path gathers each 32-column block's
/// even and odd weights with two permutes so they meet the split halves; other paths index the split vector.
/// </summary>
internal static unsafe class F32Dot
{
    public static float Dot1(KernelIsa isa, in F32Matrix w, int row, float* xs) =>
        isa == KernelIsa.Avx512 ? Avx512Row(w.Row(row), w.Cols, xs) : Scalar(w.Row(row), w.Cols, xs);

    private static float Scalar(float* r, int cols, float* xs)
    {
        float acc = 0f;
        for (int c = 0; c < cols; c++) acc += r[c] * xs[ActivationSplit.IndexOf(c, cols)];
        return acc;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Avx512Row(float* r, int cols, float* xs)
    {
        int full = cols & ~(ActivationSplit.Block - 1);
        var evens = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        var odds = evens + Vector512<int>.One;
        Vector512<float> acc = default;
        for (int c = 0; c < full; c += ActivationSplit.Block)
        {
            var a = Vector512.Load(r + c);
            var b = Vector512.Load(r + c + 16);
            acc = Avx512F.FusedMultiplyAdd(Avx512F.PermuteVar16x32x2(a, evens, b), Vector512.Load(xs + c), acc);
            acc = Avx512F.FusedMultiplyAdd(Avx512F.PermuteVar16x32x2(a, odds, b), Vector512.Load(xs + c + 16), acc);
        }
        float tail = 0f;
        for (int c = full; c < cols; c++) tail += r[c] * xs[c];
        return Vector512.Sum(acc) + tail;
    }
}
