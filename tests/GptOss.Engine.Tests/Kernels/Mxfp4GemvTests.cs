using GptOss.Engine.Kernels;

namespace GptOss.Engine.Tests.Kernels;

public sealed unsafe class Mxfp4GemvTests
{
    public static TheoryData<KernelIsa, int, int, int, BiasKind> Cases()
    {
        var data = new TheoryData<KernelIsa, int, int, int, BiasKind>();
        foreach (var isa in KernelIsas.Supported)
            foreach (int threads in new[] { 1, 2, 3 })
                foreach (var (rows, cols) in new[] { (1, 32), (7, 96), (37, 320), (64, 2880) })
                    foreach (var bias in Enum.GetValues<BiasKind>())
                        data.Add(isa, threads, rows, cols, bias);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_the_reference(KernelIsa isa, int threads, int rows, int cols, BiasKind biasKind)
    {
        var random = new Random(rows * 1000 + cols + threads);
        using var w = Mxfp4Data.Random(random, rows, cols);
        using var bias = new BiasData(random, biasKind, rows);
        var xValues = Reference.Normal(random, cols);
        using var x = new NativeArray<float>(xValues);
        using var y = new NativeArray<float>(rows);
        using var pool = new KernelThreadPool(threads);
        using var kernels = new CpuKernels(pool, isa);

        kernels.Gemv(w.Matrix, x.Pointer, y.Pointer, bias.Bias);

        for (int r = 0; r < rows; r++)
        {
            var (dot, magnitude) = w.Dot(r, xValues);
            Reference.Close(dot + bias.Values[r], magnitude + Math.Abs(bias.Values[r]), y.AsSpan()[r], 1e-5, $"row {r}");
        }
    }

    /// <summary>
    /// Every E8M0 exponent, including 0 (the subnormal 2^-127) and 255 (2^128, beyond float): one
    /// exponent per row, x scaled so each row's result is a normal float.
    /// </summary>
    [Theory]
    [MemberData(nameof(IsaCases))]
    public void Applies_every_scale_exponent(KernelIsa isa)
    {
        const int cols = 96;
        var random = new Random(7);
        using var pool = new KernelThreadPool(2);
        using var kernels = new CpuKernels(pool, isa);
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
                Assert.True(magnitude > 1e-3 && magnitude < 1e30, $"test data out of range at exponent {exponent + r}");
                Reference.Close(dot, magnitude, y.AsSpan()[r], 1e-5, $"exponent {exponent + r}");
            }
        }
    }

    /// <summary>Byte 0x21 holds element 0 in the low nibble (code 1 = 0.5) and element 1 in the high (code 2 = 1).</summary>
    [Theory]
    [MemberData(nameof(IsaCases))]
    public void Reads_the_low_nibble_as_the_even_element(KernelIsa isa)
    {
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

    public static TheoryData<KernelIsa> IsaCases() => new(KernelIsas.Supported);
}
