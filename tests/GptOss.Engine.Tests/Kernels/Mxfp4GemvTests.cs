using GptOss.Engine.Kernels;

namespace GptOss.Engine.Tests.Kernels;

public sealed unsafe class Mxfp4GemvTests
{
    public static TheoryData<string, string, int, int, int, BiasKind> Cases()
    {
        var data = new TheoryData<string, string, int, int, int, BiasKind>();
        foreach (var isa in KernelIsas.Supported)
            foreach (var activations in Enum.GetValues<Mxfp4Activations>())
                foreach (int threads in new[] { 1, 2, 3 })
                    foreach (var (rows, cols) in new[] { (1, 32), (7, 96), (37, 320), (5, 1024), (64, 2880) })
                        foreach (var bias in Enum.GetValues<BiasKind>())
                            data.Add(isa.ToString(), activations.ToString(), threads, rows, cols, bias);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_the_reference(string isaName, string activationsName, int threads, int rows, int cols, BiasKind biasKind)
    {
        var isa = Enum.Parse<KernelIsa>(isaName);
        var activations = Enum.Parse<Mxfp4Activations>(activationsName);
        var random = new Random(rows * 1000 + cols + threads);
        using var w = Mxfp4Data.Random(random, rows, cols);
        using var bias = new BiasData(random, biasKind, rows);
        var xValues = Reference.Normal(random, cols);
        using var x = new NativeArray<float>(xValues);
        using var y = new NativeArray<float>(rows);
        using var pool = new KernelThreadPool(threads);
        using var kernels = new CpuKernels(pool, isa, activations);

        kernels.Gemv(w.Matrix, x.Pointer, y.Pointer, bias.Bias);

        for (int r = 0; r < rows; r++)
        {
            var (dot, magnitude) = w.Dot(r, xValues);
            Reference.Within(dot + bias.Values[r], y.AsSpan()[r],
                1e-5 * (magnitude + Math.Abs(bias.Values[r])) + RoundingBound(w, r, xValues, activations), $"row {r}");
        }
    }

    /// <summary>
    /// The most <see cref="Mxfp4Activations.Int16"/> may move a row's result: each x[c] moves by at most 2^-14 of its
    /// block's largest magnitude (0 for float32).
    /// </summary>
    private static double RoundingBound(Mxfp4Data w, int row, float[] x, Mxfp4Activations activations)
    {
        if (activations == Mxfp4Activations.Float32) return 0;
        double bound = 0;
        for (int c = 0; c < x.Length; c++)
        {
            double blockMax = x.Skip(c / 32 * 32).Take(32).Max(v => Math.Abs((double)v));
            bound += Math.Abs(w[row, c]) * blockMax * Math.ScaleB(1.0, -14);
        }
        return bound;
    }

    /// <summary>
    /// The integer path really runs where it can (AVX-512): an element far below its block's largest one rounds to zero
    /// there, while the float32 path sees it.
    /// </summary>
    [Theory]
    [MemberData(nameof(IsaCases))]
    public void Int16_activations_round_each_block_to_its_largest_magnitude(string isaName)
    {
        var isa = Enum.Parse<KernelIsa>(isaName);
        const int cols = 64;
        var blocks = new byte[2 * 16];
        blocks[0] = 0x20;   // element 1 = code 2 (1.0); every other weight 0
        using var w = new Mxfp4Data(blocks, [127, 127], 1, cols);
        var xValues = new float[cols];
        xValues[0] = 1f;      // the block's largest magnitude, against a zero weight
        xValues[1] = 1e-6f;   // below 2^-15 of it: rounds to 0
        using var x = new NativeArray<float>(xValues);
        using var y = new NativeArray<float>(1);
        using var pool = new KernelThreadPool(1);

        using (var exact = new CpuKernels(pool, isa, Mxfp4Activations.Float32))
        {
            exact.Gemv(w.Matrix, x.Pointer, y.Pointer);
            Assert.Equal(1e-6f, y.AsSpan()[0]);
        }
        using var integer = new CpuKernels(pool, isa, Mxfp4Activations.Int16);
        integer.Gemv(w.Matrix, x.Pointer, y.Pointer);
        Assert.Equal(isa == KernelIsa.Avx512 ? 0f : 1e-6f, y.AsSpan()[0]);
    }

    [Theory]
    [MemberData(nameof(IsaCases))]
    public void Int16_activations_fall_back_to_float_for_inf_and_nan(string isaName)
    {
        var isa = Enum.Parse<KernelIsa>(isaName);
        using var w = Mxfp4Data.Random(new Random(3), 4, 64);
        using var pool = new KernelThreadPool(1);
        using var integer = new CpuKernels(pool, isa, Mxfp4Activations.Int16);
        using var exact = new CpuKernels(pool, isa, Mxfp4Activations.Float32);
        foreach (float special in new[] { float.PositiveInfinity, float.NaN })
        {
            var xValues = Reference.Normal(new Random(4), 64);
            xValues[40] = special;
            using var x = new NativeArray<float>(xValues);
            using var expected = new NativeArray<float>(4);
            using var actual = new NativeArray<float>(4);
            exact.Gemv(w.Matrix, x.Pointer, expected.Pointer);
            integer.Gemv(w.Matrix, x.Pointer, actual.Pointer);
            Assert.Equal(expected.AsSpan().ToArray(), actual.AsSpan().ToArray());
        }
    }

    /// <summary>
    /// Every E8M0 exponent, including 0 (the subnormal 2^-127) and 255 (+∞ as in the reference: a NaN or ±∞ row): one
    /// exponent per row, x scaled so each other row's result is a normal float.
    /// </summary>
    [Theory]
    [MemberData(nameof(IsaActivationCases))]
    public void Applies_every_scale_exponent(string isaName, string activationsName)
    {
        var isa = Enum.Parse<KernelIsa>(isaName);
        var activations = Enum.Parse<Mxfp4Activations>(activationsName);
        const int cols = 96;
        var random = new Random(7);
        using var pool = new KernelThreadPool(2);
        using var kernels = new CpuKernels(pool, isa, activations);
        for (int exponent = 0; exponent < 256; exponent += 5)
        {
            // Rows 0..5 hold exponents exponent..exponent+5 (255 included at the last step).
            int rows = Math.Min(5, 256 - exponent) + (exponent == 250 ? 1 : 0);
            var scales = new byte[rows * cols / 32];
            for (int r = 0; r < rows; r++)
                for (int g = 0; g < cols / 32; g++) scales[r * cols / 32 + g] = (byte)Math.Min(255, exponent + r);
            using var w = new Mxfp4Data(Reference.RandomBytes(random, rows * cols / 2), scales, rows, cols);
            float xScale = (float)Math.ScaleB(1.0, Math.Clamp(120 - exponent, -120, 120));
            var xValues = Reference.Normal(random, cols).Select(v => v * xScale).ToArray();
            using var x = new NativeArray<float>(xValues);
            using var y = new NativeArray<float>(rows);

            kernels.Gemv(w.Matrix, x.Pointer, y.Pointer);

            for (int r = 0; r < rows; r++)
            {
                var (dot, magnitude) = w.Dot(r, xValues);
                Assert.True(!double.IsFinite(dot) || magnitude > 1e-3 && magnitude < 1e30, $"test data out of range at exponent {exponent + r}");
                Reference.Within(dot, y.AsSpan()[r], 1e-5 * magnitude + RoundingBound(w, r, xValues, activations), $"exponent {exponent + r}");
            }
        }
    }

    /// <summary>Byte 0x21 holds element 0 in the low nibble (code 1 = 0.5) and element 1 in the high (code 2 = 1).</summary>
    [Theory]
    [MemberData(nameof(IsaCases))]
    public void Reads_the_low_nibble_as_the_even_element(string isaName)
    {
        var isa = Enum.Parse<KernelIsa>(isaName);
        var blocks = new byte[16];
        blocks[0] = 0x21;
        blocks[15] = 0xF9; // element 30 = code 9 (-0.5), element 31 = code 15 (-6)
        using var w = new Mxfp4Data(blocks, [128], 1, 32);
        using var pool = new KernelThreadPool(1);
        using var kernels = new CpuKernels(pool, isa);
        using var y = new NativeArray<float>(1);
        var expected = new Dictionary<int, float> { [0] = 1f, [1] = 2f, [30] = -1f, [31] = -12f, [2] = 0f };
        foreach (var (column, value) in expected)
        {
            var xValues = new float[32];
            xValues[column] = 1f;
            using var x = new NativeArray<float>(xValues);
            kernels.Gemv(w.Matrix, x.Pointer, y.Pointer);
            Assert.Equal(value, y.AsSpan()[0]);
        }
    }

    /// <summary>
    /// A run of rows through one integer kernel call (the expert passes) gives each row's own bits: whole steps, the
    /// masked last step, row after row, with either multiplier path. AVX-512 only (elsewhere there is no integer path).
    /// </summary>
    [Theory]
    [InlineData(2880, 124, 130)]   // 90 blocks: five whole steps and a masked one; every multiplier normal
    [InlineData(2880, 0, 254)]     // subnormal multipliers: the guarded path
    [InlineData(512, 120, 130)]    // whole steps only
    [InlineData(96, 124, 130)]     // the masked step alone
    public void A_run_of_rows_gives_each_rows_bits(int cols, int minScale, int maxScale)
    {
        if (!Mxfp4Int16Dot.Handles(KernelIsa.Avx512)) return;
        const int Rows = 70;   // more than one native call (64 rows each)
        var random = new Random(cols + minScale);
        var scales = Enumerable.Range(0, Rows * cols / 32).Select(_ => (byte)random.Next(minScale, maxScale + 1)).ToArray();
        using var w = new Mxfp4Data(Reference.RandomBytes(random, Rows * cols / 2), scales, Rows, cols);
        var matrix = w.Matrix.WithScaleBounds();
        using var x = new NativeArray<float>(Reference.Normal(random, cols));
        using var split = new NativeArray<float>(cols);
        ActivationSplit.Split(x.Pointer, split.Pointer, cols);
        int blocks = Int16Blocks.PaddedBlocks(cols);
        using var bytes = new NativeArray<byte>(64 * blocks);
        using var ints = new NativeArray<int>(2 * blocks);
        var q = new Int16Blocks(bytes.Pointer, ints.Pointer, ints.Pointer + blocks);
        Assert.True(Int16Blocks.Quantize(split.Pointer, cols, q));
        q = q.WithExponentBounds(1, cols);
        Assert.Equal(minScale > 0, Mxfp4Int16Dot.AllNormal(matrix.KnownScales!.Value, q));
        using var run = new NativeArray<float>(Rows);

        Mxfp4Dot.DotRows(KernelIsa.Avx512, matrix, 0, Rows, split.Pointer, q, run.Pointer);

        var single = Enumerable.Range(0, Rows).Select(r => BitConverter.SingleToUInt32Bits(Mxfp4Dot.Dot1(KernelIsa.Avx512, matrix, r, split.Pointer, q)));
        Assert.Equal(single, run.AsSpan().ToArray().Select(BitConverter.SingleToUInt32Bits));
    }

    [Fact]
    public void Rejects_bad_shapes_and_missing_buffers()
    {
        using var w = Mxfp4Data.Random(new Random(1), 2, 32);
        using var x = new NativeArray<float>(32);
        using var pool = new KernelThreadPool(1);
        using var kernels = new CpuKernels(pool);
        var matrix = w.Matrix;
        Assert.Throws<ArgumentOutOfRangeException>(() => new Mxfp4Matrix(matrix.Blocks, matrix.Scales, 2, 48));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Mxfp4Matrix(matrix.Blocks, matrix.Scales, 0, 32));
        Assert.Throws<ArgumentNullException>(() => new Mxfp4Matrix(null, matrix.Scales, 2, 32));
        Assert.Throws<ArgumentNullException>(() => kernels.Gemv(matrix, x.Pointer, null));
    }

    public static TheoryData<string> IsaCases() => new(KernelIsas.Supported.Select(i => i.ToString()));

    public static TheoryData<string, string> IsaActivationCases()
    {
        var data = new TheoryData<string, string>();
        foreach (var isa in KernelIsas.Supported)
            foreach (var activations in Enum.GetValues<Mxfp4Activations>())
                data.Add(isa.ToString(), activations.ToString());
        return data;
    }
}
