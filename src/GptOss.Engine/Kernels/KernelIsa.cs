using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GptOss.Engine.Kernels;

/// <summary>The instruction sets a kernel path is written for; chosen once at run time.</summary>
internal enum KernelIsa
{
    Scalar,
    Avx2,
    Avx512,
}

internal static class KernelIsas
{
    /// <summary>The widest path this CPU runs.</summary>
    public static KernelIsa Best { get; } =
        Avx512F.IsSupported && Avx512BW.IsSupported && Vector512.IsHardwareAccelerated ? KernelIsa.Avx512
        : Avx2.IsSupported && Fma.IsSupported ? KernelIsa.Avx2
        : KernelIsa.Scalar;

    /// <summary>Every path this CPU can run, widest last (tests exercise each).</summary>
    public static IReadOnlyList<KernelIsa> Supported { get; } =
        Enum.GetValues<KernelIsa>().Where(isa => isa <= Best).ToArray();

    public static void EnsureSupported(KernelIsa isa)
    {
        if (isa > Best) throw new PlatformNotSupportedException($"kernel path {isa} needs instructions this CPU lacks (best: {Best})");
    }
}
