using GptOss.Engine.Kernels.Native;

namespace GptOss.Engine.Kernels;

/// <summary>
/// The microkernels of <see cref="Mxfp4TileGemm"/>: a block of BF16 weight rows against a block of tokens' BF16
/// activations with AVX512-BF16's <c>vdpbf16ps</c> (machine code, <c>Native/bf16_tile_32x12.s</c> and
/// <c>Native/bf16_tile_16x24.s</c>), tokens across the sixteen lanes and one accumulator per (row, sixteen tokens):
/// 24 accumulators, each weight k-pair broadcast to every lane. Lane t of row r adds the same products in the same
/// order in both kernels (k-pair by k-pair from column 0), so a token's sums do not depend on the block it shares.
/// Denormal inputs count as zero and denormal sums flush to zero (as in <see cref="Avx512Bf16Dot"/>).
/// </summary>
internal static unsafe class Avx512Bf16Tile
{
    /// <summary>Columns per tile block: one MXFP4 block, 64 bytes of BF16 per row.</summary>
    public const int BlockColumns = 32;

    /// <summary>The wide kernel's shape: 32 tokens (two vectors) × 12 rows.</summary>
    public const int WideTokens = 32, WideRows = 12;

    /// <summary>The narrow kernel's shape: 16 tokens × 24 rows.</summary>
    public const int NarrowTokens = 16, NarrowRows = 24;

    private static readonly delegate* unmanaged<ushort*, uint*, nint, nint, float*, nint, void> Wide =
        (delegate* unmanaged<ushort*, uint*, nint, nint, float*, nint, void>)(Avx512Bf16Dot.IsSupported ? ExecutableCode.Load(MachineCode.Bf16Tile32x12) : null);

    private static readonly delegate* unmanaged<ushort*, uint*, nint, nint, float*, nint, void> Narrow =
        (delegate* unmanaged<ushort*, uint*, nint, nint, float*, nint, void>)(Wide != null ? ExecutableCode.Load(MachineCode.Bf16Tile16x24) : null);

    /// <summary>Whether this CPU and OS run the kernels (AVX512-BF16, Linux x64; see <see cref="Avx512Bf16Dot.IsSupported"/>).</summary>
    public static bool IsSupported => Wide != null && Narrow != null;

    /// <summary>
    /// out[r·outRowFloats + t] = Σ_k w_r[k]·x_t[k] for the kernel's rows r and tokens t (<see cref="WideRows"/> ×
    /// <see cref="WideTokens"/> when <paramref name="wide"/>, else <see cref="NarrowRows"/> × <see cref="NarrowTokens"/>).
    /// <paramref name="tile"/>: row r's columns [32g, 32g + 32) at tile + g·tileBlockElements + 32r.
    /// <paramref name="x"/>: per k-pair, one dword per token (its BF16 values at columns 2p, 2p + 1), the kernel's
    /// token count of them.
    /// </summary>
    public static void Run(bool wide, ushort* tile, uint* x, int blocks, long tileBlockElements, float* output, long outRowFloats)
    {
        if (!IsSupported) throw new PlatformNotSupportedException("the BF16 tile kernels need a CPU with AVX512-BF16 on Linux x64");
        if (blocks <= 0) throw new ArgumentOutOfRangeException(nameof(blocks), blocks, "a tile holds at least one block of columns");
        (wide ? Wide : Narrow)(tile, x, blocks, (nint)(tileBlockElements * sizeof(ushort)), output, (nint)(outRowFloats * sizeof(float)));
    }
}
