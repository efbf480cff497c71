namespace GptOss.Engine.Model;

/// <summary>bfloat16 = the top 16 bits of a float32 (round to nearest even).</summary>
internal static class Bf16
{
    public static ushort FromFloat(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value)) return (ushort)((bits >> 16) | 0x40);
        return (ushort)((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
    }

    public static float ToFloat(ushort bits) => BitConverter.UInt32BitsToSingle((uint)bits << 16);

    public static float Round(float value) => ToFloat(FromFloat(value));
}
