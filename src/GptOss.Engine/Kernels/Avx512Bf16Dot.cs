using System.Runtime.Intrinsics.X86;
using GptOss.Engine.Kernels.Native;

namespace GptOss.Engine.Kernels;

/// <summary>
/// BF16 rows against a BF16 vector (or up to eight) with AVX512-BF16's <c>vdpbf16ps</c>, which .NET does not expose:
/// machine code (<c>Native/bf16_rows.s</c>, <c>Native/bf16_rows_batch.s</c>, assembled by <c>tools/native-kernels/assemble.sh</c>) in executable pages. One instruction per 32
/// weights where the managed kernel needs a shift, a mask and two FMAs, so a row stream keeps up with a plain read
/// (measurements: Kernels/README.md). Each pair of products is
/// exact in float32 and added with round-to-nearest-even; denormal inputs count as zero and denormal sums flush to
/// zero (the instruction ignores MXCSR). Linux x64 only (System V calls, mmap); elsewhere <see cref="IsSupported"/> is false.
/// </summary>
internal static unsafe class Avx512Bf16Dot
{
    /// <summary>Columns per loop step (two 64-byte loads): rows must hold a multiple of this.</summary>
    public const int ColumnStep = 64;

    /// <summary>The most vectors <see cref="RowsBatch"/> takes per call (two accumulators each in sixteen registers).</summary>
    public const int MaxVectors = 8;

    // Native/bf16_rows.s: two accumulators of sixteen lanes per row, summed at the row's end.
    private static readonly delegate* unmanaged<ushort*, ushort*, nint, nint, float*, void> Kernel =
        (delegate* unmanaged<ushort*, ushort*, nint, nint, float*, void>)(HasAvx512Bf16() ? ExecutableCode.Load(MachineCode.Bf16Rows) : null);

    // Native/bf16_rows_batch.s: the same per vector, for up to eight vectors per weight load.
    private static readonly delegate* unmanaged<ushort*, ushort*, nint, nint, float*, nint, nint, void> BatchKernel =
        (delegate* unmanaged<ushort*, ushort*, nint, nint, float*, nint, nint, void>)(Kernel != null ? ExecutableCode.Load(MachineCode.Bf16RowsBatch) : null);

    /// <summary>Whether this CPU and OS run the kernels (AVX512-BF16 and BW, Linux x64, executable pages were made).</summary>
    public static bool IsSupported => Kernel != null && BatchKernel != null;

    /// <summary>
    /// results[k] = Σ_c w[k·cols + c]·x[c] for <paramref name="rows"/> consecutive rows; <paramref name="cols"/> a positive
    /// multiple of <see cref="ColumnStep"/>.
    /// </summary>
    public static void Rows(ushort* w, ushort* x, int cols, int rows, float* results)
    {
        if (Kernel == null) throw new PlatformNotSupportedException("AVX512-BF16 dot products need a CPU with AVX512-BF16 on Linux x64");
        if (cols <= 0 || cols % ColumnStep != 0) throw new ArgumentOutOfRangeException(nameof(cols), cols, $"columns must be a positive multiple of {ColumnStep}");
        if (rows <= 0) return;
        Kernel(w, x, cols, rows, results);
    }

    /// <summary>
    /// results[v·resultStride + k] = Σ_c w[k·cols + c]·x[v·cols + c] for <paramref name="rows"/> consecutive rows and
    /// <paramref name="count"/> (1..<see cref="MaxVectors"/>) vectors stored back to back: each weight row is loaded once
    /// for all of them, and each vector's results are <see cref="Rows"/>'s bits.
    /// </summary>
    public static void RowsBatch(ushort* w, ushort* x, int cols, int rows, int count, float* results, long resultStride)
    {
        if (BatchKernel == null) throw new PlatformNotSupportedException("AVX512-BF16 dot products need a CPU with AVX512-BF16 on Linux x64");
        if (cols <= 0 || cols % ColumnStep != 0) throw new ArgumentOutOfRangeException(nameof(cols), cols, $"columns must be a positive multiple of {ColumnStep}");
        if (count < 1 || count > MaxVectors) throw new ArgumentOutOfRangeException(nameof(count), count, $"vectors per call must be within [1, {MaxVectors}]");
        if (rows <= 0) return;
        BatchKernel(w, x, cols, rows, results, (nint)(resultStride * sizeof(float)), count);
    }

    /// <summary>AVX512_BF16: CPUID leaf 7, sub-leaf 1, EAX bit 5 (Avx512BW's check covers the OS saving zmm state).</summary>
    private static bool HasAvx512Bf16() => Avx512BW.IsSupported && (X86Base.CpuId(7, 1).Eax & (1 << 5)) != 0;
}
