using System.Runtime.Intrinsics;

namespace GptOss.Engine.Kernels;

/// <summary>
/// FP4 E2M1 (OCP MX): the one table of the sixteen code values (bit 3 is the sign). The tensor dequantizer and every
/// kernel take their lookup tables from here; the vector forms are built once, so hot loops load them as constants.
/// </summary>
internal static class Fp4
{
    public static ReadOnlySpan<float> Values =>
    [
        0f, 0.5f, 1f, 1.5f, 2f, 3f, 4f, 6f,
        -0f, -0.5f, -1f, -1.5f, -2f, -3f, -4f, -6f,
    ];

    /// <summary>Code → value, one lane per code (a vpermps table).</summary>
    public static readonly Vector512<float> Values512 = Vector512.Create(Values);

    /// <summary>The magnitudes of codes 0..7 (AVX2 permutes have 8 entries; the sign comes from bit 3).</summary>
    public static readonly Vector256<float> Magnitudes256 = Vector256.Create(Values[..8]);

    /// <summary>Code → the value's BF16 bits in words 0..15 (words 16..31 zero): a vpermw table.</summary>
    public static readonly Vector512<short> Bf16Words512 =
        Vector512.Narrow(Values512.AsUInt32() >> 16, Vector512<uint>.Zero).AsInt16();

    /// <summary>
    /// Code → 2·value + 12, a byte in 0..24 (non-negative, as vpmaddubsw wants its unsigned operand), repeated in each
    /// 16-byte lane for vpshufb.
    /// </summary>
    public static readonly Vector512<byte> DoubledPlus12Bytes512 = CreateDoubledPlus12();

    private static Vector512<byte> CreateDoubledPlus12()
    {
        Span<byte> bytes = stackalloc byte[64];
        for (int i = 0; i < 64; i++) bytes[i] = (byte)(2 * Values[i % 16] + 12);
        return Vector512.Create((ReadOnlySpan<byte>)bytes);
    }
}
