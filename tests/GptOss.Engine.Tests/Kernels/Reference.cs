using GptOss.Engine.Kernels;

namespace GptOss.Engine.Tests.Kernels;

/// <summary>
/// The kernels' math written the plain way: dequantize with the spec's FP4 table and the reference's E8M0 multiplier,
/// accumulate in double. Also random test data.
/// </summary>
internal static class Reference
{
    // FP4 E2M1 per the OCP MX spec, written out independently of the kernels' table.
    private static readonly double[] Fp4 = [0, 0.5, 1, 1.5, 2, 3, 4, 6, -0.0, -0.5, -1, -1.5, -2, -3, -4, -6];

    public static double Mxfp4(byte[] blocks, byte[] scales, int row, int col, int cols)
    {
        int g = col / 32, j = col % 32;
        int blocksPerRow = cols / 32;
        byte code = blocks[((long)row * blocksPerRow + g) * 16 + j / 2];
        int nibble = j % 2 == 0 ? code & 0x0F : code >> 4;
        return Fp4[nibble] * E8M0(scales[row * blocksPerRow + g]);
    }

    /// <summary>
    /// What gpt-oss's <c>torch.ldexp(value, s - 127)</c> multiplies by: <c>pow(2.0, s - 127)</c> in float32, so 255 gives
    /// +∞ (its block's weights ±∞, NaN for zero codes).
    /// </summary>
    public static double E8M0(byte s) => (float)Math.ScaleB(1.0, s - 127);

    public static double Bf16(ushort bits) => BitConverter.Int32BitsToSingle(bits << 16);

    /// <summary>(Σ w·x, Σ |w·x|) in double: the value and the scale its rounding error is measured by.</summary>
    public static (double Value, double Magnitude) Dot(Func<int, double> w, ReadOnlySpan<float> x)
    {
        double value = 0, magnitude = 0;
        for (int c = 0; c < x.Length; c++)
        {
            double p = w(c) * x[c];
            value += p;
            magnitude += Math.Abs(p);
        }
        return (value, magnitude);
    }

    public static double SwiGlu(double gate, double up)
    {
        double glu = Math.Min(gate, 7.0);
        double lin = Math.Clamp(up, -7.0, 7.0);
        return glu / (1 + Math.Exp(-1.702 * glu)) * (lin + 1);
    }

    public static byte[] RandomBytes(Random random, long count)
    {
        var bytes = new byte[count];
        random.NextBytes(bytes);
        return bytes;
    }

    /// <summary>Scales around 2^0 (s in 124..130), the range real weights use.</summary>
    public static byte[] TypicalScales(Random random, long count)
    {
        var scales = new byte[count];
        for (long i = 0; i < count; i++) scales[i] = (byte)random.Next(124, 131);
        return scales;
    }

    public static float[] Normal(Random random, int count, double std = 1)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            double u1 = 1 - random.NextDouble(), u2 = random.NextDouble();
            values[i] = (float)(std * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }
        return values;
    }

    public static ushort[] RandomBf16(Random random, int count, double std = 1) =>
        Normal(random, count, std).Select(v => (ushort)(BitConverter.SingleToUInt32Bits(v) >> 16)).ToArray();

    /// <summary>Asserts |actual - expected| ≤ tolerance · magnitude (+ a floor for exact zeros).</summary>
    public static void Close(double expected, double magnitude, float actual, double tolerance, string what) =>
        Within(expected, actual, tolerance * magnitude, what);

    /// <summary>Asserts |actual - expected| ≤ bound (+ a floor for exact zeros).</summary>
    public static void Within(double expected, float actual, double bound, string what)
    {
        if (!double.IsFinite(expected))
        {
            // A scale-255 block: ±∞ or NaN as IEEE gives them, whatever the order of the sum.
            Assert.True(double.IsNaN(expected) ? float.IsNaN(actual) : actual == expected, $"{what}: expected {expected}, got {actual:R}");
            return;
        }
        double error = Math.Abs(actual - expected);
        bound += 1e-30;
        Assert.True(error <= bound, $"{what}: expected {expected:R}, got {actual:R} (error {error:E3} > bound {bound:E3})");
    }
}
