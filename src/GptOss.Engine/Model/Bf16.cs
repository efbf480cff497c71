using GptOss.Engine.Kernels;

namespace GptOss.Engine.Model;

/// <summary>
/// bfloat16 = the top 16 bits of a float32 (round to nearest even), for the random checkpoint writer; the conversions
/// are <see cref="Fp"/>'s.
/// </summary>
internal static class Bf16
{
    public static ushort FromFloat(float value) => Fp.FloatToBf16(value);

    public static float ToFloat(ushort bits) => Fp.Bf16ToFloat(bits);

    public static float Round(float value) => Fp.RoundToBf16(value);
}
