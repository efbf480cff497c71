using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace GptOss.Engine.Kernels;

/// <summary>Number formats the kernels decode: BF16 bits, FP4 E2M1 codes, E8M0 block exponents.</summary>
public static unsafe class Fp
{
    /// <summary>FP4 E2M1 code → value (bit 3 is the sign), per the OCP MX spec.</summary>
    public static ReadOnlySpan<float> Fp4Values =>
    [
        0f, 0.5f, 1f, 1.5f, 2f, 3f, 4f, 6f,
        -0f, -0.5f, -1f, -1.5f, -2f, -3f, -4f, -6f,
    ];

    /// <summary>The E8M0 exponent that has no float32 multiplier (2^128); handled as 2^127 · 2.</summary>
    public const byte MaxScale = 255;

    /// <summary>
    /// 2^(s-127) for s in 0..254 (s = 0 is the subnormal 2^-127, exact), and 2^127 at 255, whose true
    /// multiplier 2^128 kernels apply as a second factor of 2 (what ldexp in the references computes).
    /// Native memory so hot loops index it without bounds checks.
    /// </summary>
    internal static readonly float* ScaleTable = CreateScaleTable();

    public static float Bf16ToFloat(ushort bits) => BitConverter.Int32BitsToSingle(bits << 16);

    /// <summary>The BF16 nearest to <paramref name="value"/> (ties to even; NaN stays NaN).</summary>
    public static ushort FloatToBf16(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value)) return (ushort)((bits >> 16) | 0x40);
        return (ushort)((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
    }

    /// <summary><paramref name="value"/> rounded to the nearest BF16, as float32 (what a BF16 tensor op stores).</summary>
    public static float RoundToBf16(float value) => Bf16ToFloat(FloatToBf16(value));

    /// <summary><see cref="RoundToBf16(float)"/> per lane, bit for bit (ties to even, NaN kept NaN with the quiet bit set).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> RoundToBf16(Vector512<float> value)
    {
        var bits = value.AsUInt32();
        var rounded = bits + Vector512.Create(0x7FFFu) + ((bits >> 16) & Vector512<uint>.One);
        var kept = Vector512.ConditionalSelect(Vector512.Equals(value, value).AsUInt32(), rounded, bits | Vector512.Create(0x00400000u));
        return (kept & Vector512.Create(0xFFFF0000u)).AsSingle();
    }

    /// <inheritdoc cref="RoundToBf16(Vector512{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> RoundToBf16(Vector256<float> value)
    {
        var bits = value.AsUInt32();
        var rounded = bits + Vector256.Create(0x7FFFu) + ((bits >> 16) & Vector256<uint>.One);
        var kept = Vector256.ConditionalSelect(Vector256.Equals(value, value).AsUInt32(), rounded, bits | Vector256.Create(0x00400000u));
        return (kept & Vector256.Create(0xFFFF0000u)).AsSingle();
    }

    private static float* CreateScaleTable()
    {
        var table = (float*)NativeMemory.AlignedAlloc(256 * sizeof(float), 64);
        for (int s = 0; s < 256; s++) table[s] = (float)Math.ScaleB(1.0, Math.Min(s, 254) - 127);
        return table;
    }
}
