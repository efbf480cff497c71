using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace GptOss.Engine.Kernels;

/// <summary>Number formats the kernels decode: BF16 bits and E8M0 block exponents (FP4 codes: <see cref="Fp4"/>).</summary>
internal static unsafe class Fp
{
    /// <summary>The E8M0 exponent whose multiplier 2^128 overflows float32 to +∞ (what the references' ldexp gives).</summary>
    public const byte MaxScale = 255;

    /// <summary>
    /// The E8M0 multiplier as the reference computes it: <c>torch.ldexp(value, s - 127)</c> multiplies by
    /// <c>pow(2.0, s - 127)</c> in float32, so s = 0 is the subnormal 2^-127 (exact) and s = 255 is +∞ (a block's
    /// weights become ±∞, and NaN for its zero codes). The OCP spec calls 255 NaN; the checkpoints' reference decides.
    /// </summary>
    public static float E8M0(byte s) => (float)Math.ScaleB(1.0, s - 127);

    /// <summary><see cref="E8M0"/> of every byte, in native memory so hot loops index it without bounds checks.</summary>
    public static readonly float* ScaleTable = CreateScaleTable();

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
        for (int s = 0; s < 256; s++) table[s] = E8M0((byte)s);
        return table;
    }
}
