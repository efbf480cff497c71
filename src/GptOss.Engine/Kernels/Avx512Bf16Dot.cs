using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace GptOss.Engine.Kernels;

/// <summary>
/// BF16 rows against a BF16 vector with AVX512-BF16's <c>vdpbf16ps</c>, which .NET does not expose: 124 bytes of
/// machine code (listing below, assembled with GNU as) copied into an executable page once. One instruction per 32
/// weights where the managed kernel needs a shift, a mask and two FMAs: a row stream runs at a plain read's speed
/// (C, 201088 × 2880 rows, one thread: 26.4–27.5 vs 20.1–23.0 GB/s; a plain read 23.6–26.8). Each pair of products is
/// exact in float32 and added with round-to-nearest-even; denormal inputs count as zero and denormal sums flush to
/// zero (the instruction ignores MXCSR). Linux x64 only (System V calls, mmap); elsewhere <see cref="IsSupported"/> is false.
/// </summary>
internal static unsafe partial class Avx512Bf16Dot
{
    /// <summary>Columns per loop step (two 64-byte loads): rows must hold a multiple of this.</summary>
    public const int ColumnStep = 64;

    // void rows(const ushort* w /*rdi*/, const ushort* x /*rsi*/, long cols /*rdx*/, long rows /*rcx*/, float* out /*r8*/)
    //   lea r9, [rdx+rdx]                      ; bytes per row
    // row:
    //   vxorps zmm0, zmm0, zmm0
    //   vxorps zmm1, zmm1, zmm1
    //   xor rax, rax
    // step:
    //   vmovdqu16 zmm2, [rdi+rax]
    //   vdpbf16ps zmm0, zmm2, [rsi+rax]
    //   vmovdqu16 zmm3, [rdi+rax+64]
    //   vdpbf16ps zmm1, zmm3, [rsi+rax+64]
    //   add rax, 128
    //   cmp rax, r9
    //   jb step
    //   vaddps zmm0, zmm0, zmm1                ; sixteen lanes → one
    //   vextractf64x4 ymm1, zmm0, 1
    //   vaddps ymm0, ymm0, ymm1
    //   vextractf128 xmm1, ymm0, 1
    //   vaddps xmm0, xmm0, xmm1
    //   vmovhlps xmm1, xmm0, xmm0
    //   vaddps xmm0, xmm0, xmm1
    //   vmovshdup xmm1, xmm0
    //   vaddss xmm0, xmm0, xmm1
    //   vmovss [r8], xmm0
    //   add r8, 4
    //   add rdi, r9
    //   dec rcx
    //   jnz row
    //   vzeroupper
    //   ret
    private static ReadOnlySpan<byte> Code =>
    [
        0x4c, 0x8d, 0x0c, 0x12,
        0x62, 0xf1, 0x7c, 0x48, 0x57, 0xc0,
        0x62, 0xf1, 0x74, 0x48, 0x57, 0xc9,
        0x48, 0x31, 0xc0,
        0x62, 0xf1, 0xff, 0x48, 0x6f, 0x14, 0x07,
        0x62, 0xf2, 0x6e, 0x48, 0x52, 0x04, 0x06,
        0x62, 0xf1, 0xff, 0x48, 0x6f, 0x5c, 0x07, 0x01,
        0x62, 0xf2, 0x66, 0x48, 0x52, 0x4c, 0x06, 0x01,
        0x48, 0x05, 0x80, 0x00, 0x00, 0x00,
        0x4c, 0x39, 0xc8,
        0x72, 0xd7,
        0x62, 0xf1, 0x7c, 0x48, 0x58, 0xc1,
        0x62, 0xf3, 0xfd, 0x48, 0x1b, 0xc1, 0x01,
        0xc5, 0xfc, 0x58, 0xc1,
        0xc4, 0xe3, 0x7d, 0x19, 0xc1, 0x01,
        0xc5, 0xf8, 0x58, 0xc1,
        0xc5, 0xf8, 0x12, 0xc8,
        0xc5, 0xf8, 0x58, 0xc1,
        0xc5, 0xfa, 0x16, 0xc8,
        0xc5, 0xfa, 0x58, 0xc1,
        0xc4, 0xc1, 0x7a, 0x11, 0x00,
        0x49, 0x83, 0xc0, 0x04,
        0x4c, 0x01, 0xcf,
        0x48, 0xff, 0xc9,
        0x75, 0x8c,
        0xc5, 0xf8, 0x77,
        0xc3,
    ];

    private static readonly delegate* unmanaged<ushort*, ushort*, nint, nint, float*, void> Kernel = Load();

    /// <summary>Whether this CPU and OS run the kernel (AVX512-BF16 and BW, Linux x64, an executable page was made).</summary>
    public static bool IsSupported => Kernel != null;

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

    private static delegate* unmanaged<ushort*, ushort*, nint, nint, float*, void> Load()
    {
        // AVX512_BF16: CPUID leaf 7, sub-leaf 1, EAX bit 5 (Avx512BW's support check covers the OS saving zmm state).
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64
            || !Avx512BW.IsSupported || (X86Base.CpuId(7, 1).Eax & (1 << 5)) == 0)
            return null;
        try
        {
            const int Read = 1, Write = 2, Execute = 4, Private = 0x02, Anonymous = 0x20;
            nuint size = (nuint)Environment.SystemPageSize;
            nint page = mmap(0, size, Read | Write, Private | Anonymous, -1, 0);
            if (page == -1) return null;
            Code.CopyTo(new Span<byte>((void*)page, Code.Length));
            if (mprotect(page, size, Read | Execute) != 0) return null;
            return (delegate* unmanaged<ushort*, ushort*, nint, nint, float*, void>)page;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint mmap(nint address, nuint length, int protection, int flags, int fd, nint offset);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int mprotect(nint address, nuint length, int protection);
}
