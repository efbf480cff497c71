using GptOss.Engine.Kernels;
using GptOss.Engine.Tests.Kernels;

namespace GptOss.Engine.Tests;

public sealed unsafe class ActivationRowTests
{
    /// <summary>
    /// Rounding a row to BF16 in place (the decoded logits take this path) stores exactly what <see cref="Fp.FloatToBf16"/>
    /// does per value: ties to even, carries into the exponent, infinities, NaN kept NaN, in the vector body and the tail.
    /// Values go in as bits (a float variable may quiet a signalling NaN on the way).
    /// </summary>
    [Fact]
    public void Rounds_a_row_to_bf16_exactly_as_each_value_would_be()
    {
        var random = new Random(3);
        var bits = new uint[16 * 7 + 5];
        for (int i = 0; i < bits.Length; i++) bits[i] = (uint)random.NextInt64(0, 1L << 32);
        uint[] specials =
        [
            0x3F808000,   // a tie below an even BF16: stays
            0x3F818000,   // a tie below an odd BF16: rounds up
            0x7F7FFFFF,   // the largest float: carries into +∞
            0x7F800000, 0xFF800000, 0x7FC00000, 0x80000000, 0x00000001,
            0x7F800001,   // a signalling NaN: comes back quiet, not as +∞
            0xFF80FFFF,   // a negative signalling NaN whose rounding would carry
        ];
        specials.CopyTo(bits, 3);
        specials.CopyTo(bits, bits.Length - specials.Length);   // the scalar tail too
        using var row = new NativeArray<uint>(bits);

        ActivationRow.Round((float*)row.Pointer, bits.Length, bf16: true);

        var expected = bits.Select(b => (uint)Fp.FloatToBf16(BitConverter.UInt32BitsToSingle(b)) << 16).ToArray();
        Assert.Equal(expected, row.AsSpan().ToArray());
    }

    /// <summary>A BF16 row is written as <see cref="Fp.FloatToBf16"/> writes each value and read back exactly, vector body and tail.</summary>
    [Fact]
    public void Writes_and_reads_bf16_rows_exactly_as_each_value_would_be()
    {
        var random = new Random(5);
        var bits = new uint[32 * 3 + 7];
        for (int i = 0; i < bits.Length; i++) bits[i] = (uint)random.NextInt64(0, 1L << 32);
        uint[] specials = [0x3F808000, 0x3F818000, 0x7F7FFFFF, 0x7F800000, 0xFF800000, 0x7F800001, 0xFF80FFFF, 0x80000000];
        specials.CopyTo(bits, 5);
        specials.CopyTo(bits, bits.Length - specials.Length);
        using var row = new NativeArray<uint>(bits);
        using var stored = new NativeArray<ushort>(bits.Length);
        using var back = new NativeArray<uint>(bits.Length);

        ActivationRow.Write((float*)row.Pointer, (byte*)stored.Pointer, bits.Length, bf16: true);
        ActivationRow.Read((byte*)stored.Pointer, (float*)back.Pointer, bits.Length, bf16: true);

        var expected = bits.Select(b => Fp.FloatToBf16(BitConverter.UInt32BitsToSingle(b))).ToArray();
        Assert.Equal(expected, stored.AsSpan().ToArray());
        Assert.Equal(expected.Select(e => (uint)e << 16), back.AsSpan().ToArray());
    }

    [Fact]
    public void Leaves_a_float32_row_as_it_is()
    {
        uint[] bits = [0x3F800001, 0x7F800001, 0xC0555555];
        using var row = new NativeArray<uint>(bits);

        ActivationRow.Round((float*)row.Pointer, bits.Length, bf16: false);

        Assert.Equal(bits, row.AsSpan().ToArray());
    }
}
