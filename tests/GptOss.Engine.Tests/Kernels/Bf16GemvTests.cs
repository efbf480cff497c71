using GptOss.Engine.Kernels;

namespace GptOss.Engine.Tests.Kernels;

public sealed unsafe class Bf16GemvTests
{
    public static TheoryData<string, int, int, int, BiasKind> Cases() =>
        CasesOf([1, 2, 3], [(1, 1), (5, 32), (9, 45), (37, 100), (66, 2880)]);

    /// <summary>Shapes the AVX512-BF16 kernel takes (columns a multiple of 64).</summary>
    public static TheoryData<string, int, int, int, BiasKind> Bf16InputCases() => CasesOf([1, 3], [(1, 64), (37, 2880), (9, 4096)]);

    private static TheoryData<string, int, int, int, BiasKind> CasesOf(int[] threadCounts, (int Rows, int Cols)[] shapes)
    {
        var data = new TheoryData<string, int, int, int, BiasKind>();
        foreach (var isa in KernelIsas.Supported)
            foreach (int threads in threadCounts)
                foreach (var (rows, cols) in shapes)
                    foreach (var bias in Enum.GetValues<BiasKind>())
                        data.Add(isa.ToString(), threads, rows, cols, bias);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_the_reference(string isaName, int threads, int rows, int cols, BiasKind biasKind) =>
        GemvMatchesTheReference(Enum.Parse<KernelIsa>(isaName), threads, rows, cols, biasKind, bf16Inputs: false);

    /// <summary>
    /// Inputs that are BF16 values (the BF16 mode's activations); where the CPU has AVX512-BF16 the GEMV gives that
    /// kernel's bits (the rows really went through it).
    /// </summary>
    [Theory]
    [MemberData(nameof(Bf16InputCases))]
    public void Matches_the_reference_for_bf16_inputs(string isaName, int threads, int rows, int cols, BiasKind biasKind)
    {
        var isa = Enum.Parse<KernelIsa>(isaName);
        var (weights, x, bias, y) = GemvMatchesTheReference(isa, threads, rows, cols, biasKind, bf16Inputs: true);
        if (isa != KernelIsa.Avx512 || !Avx512Bf16Dot.IsSupported) return;
        using var w = new NativeArray<ushort>(weights);
        using var xb = new NativeArray<ushort>(x.Select(Fp.FloatToBf16).ToArray());
        using var direct = new NativeArray<float>(rows);
        Avx512Bf16Dot.Rows(w.Pointer, xb.Pointer, cols, rows, direct.Pointer);
        for (int r = 0; r < rows; r++)
            Assert.Equal(BitConverter.SingleToUInt32Bits(direct.AsSpan()[r] + (float)bias[r]), BitConverter.SingleToUInt32Bits(y[r]));
    }

    /// <summary>
    /// A checkpoint's tensors need not start on a cache line: rows at every even byte offset from one (the kernel then
    /// loads whole lines and shifts the weights) give the bits of the same rows on a line.
    /// </summary>
    [Fact]
    public void Rows_off_a_cache_line_give_the_aligned_rows_bits()
    {
        if (!Avx512Bf16Dot.IsSupported) return;
        const int rows = 5, cols = 192;
        var random = new Random(17);
        var weights = Reference.RandomBf16(random, rows * cols);
        using var x = new NativeArray<ushort>(Reference.Normal(random, cols).Select(Fp.FloatToBf16).ToArray());
        using var aligned = new NativeArray<ushort>(weights);   // 64-byte aligned
        using var expected = new NativeArray<float>(rows);
        Avx512Bf16Dot.Rows(aligned.Pointer, x.Pointer, cols, rows, expected.Pointer);
        using var shifted = new NativeArray<ushort>(weights.Length + 32);
        using var actual = new NativeArray<float>(rows);
        for (int offset = 1; offset < 32; offset++)
        {
            weights.CopyTo(shifted.AsSpan()[offset..]);
            Avx512Bf16Dot.Rows(shifted.Pointer + offset, x.Pointer, cols, rows, actual.Pointer);
            for (int r = 0; r < rows; r++)
                Assert.True(BitConverter.SingleToUInt32Bits(expected.AsSpan()[r]) == BitConverter.SingleToUInt32Bits(actual.AsSpan()[r]),
                    $"row {r} at {2 * offset} bytes past a line: {actual.AsSpan()[r]}, aligned {expected.AsSpan()[r]}");
        }
    }

    /// <summary>The batched kernel the same way, for every vector count it takes.</summary>
    [Fact]
    public void Batched_rows_off_a_cache_line_give_the_aligned_rows_bits()
    {
        if (!Avx512Bf16Dot.IsSupported) return;
        const int rows = 3, cols = 128, vectors = Avx512Bf16Dot.MaxVectors;
        var random = new Random(19);
        var weights = Reference.RandomBf16(random, rows * cols);
        using var x = new NativeArray<ushort>(Reference.Normal(random, vectors * cols).Select(Fp.FloatToBf16).ToArray());
        using var aligned = new NativeArray<ushort>(weights);
        using var shifted = new NativeArray<ushort>(weights.Length + 32);
        using var expected = new NativeArray<float>(vectors * rows);
        using var actual = new NativeArray<float>(vectors * rows);
        for (int count = 1; count <= vectors; count++)
        {
            Avx512Bf16Dot.RowsBatch(aligned.Pointer, x.Pointer, cols, rows, count, expected.Pointer, rows);
            for (int offset = 1; offset < 32; offset += 3)
            {
                weights.CopyTo(shifted.AsSpan()[offset..]);
                Avx512Bf16Dot.RowsBatch(shifted.Pointer + offset, x.Pointer, cols, rows, count, actual.Pointer, rows);
                for (int i = 0; i < count * rows; i++)
                    Assert.True(BitConverter.SingleToUInt32Bits(expected.AsSpan()[i]) == BitConverter.SingleToUInt32Bits(actual.AsSpan()[i]),
                        $"{count} vectors, result {i} at {2 * offset} bytes past a line: {actual.AsSpan()[i]}, aligned {expected.AsSpan()[i]}");
            }
        }
    }

    /// <summary>A random GEMV against the double-precision reference; returns its inputs and output.</summary>
    private static (ushort[] Weights, float[] X, double[] Bias, float[] Y) GemvMatchesTheReference(
        KernelIsa isa, int threads, int rows, int cols, BiasKind biasKind, bool bf16Inputs)
    {
        var random = new Random(rows * 1000 + cols + threads);
        var weights = Reference.RandomBf16(random, rows * cols);
        using var w = new NativeArray<ushort>(weights);
        using var bias = new BiasData(random, biasKind, rows);
        var xValues = Reference.Normal(random, cols);
        if (bf16Inputs) xValues = xValues.Select(Fp.RoundToBf16).ToArray();
        using var x = new NativeArray<float>(xValues);
        using var y = new NativeArray<float>(rows);
        using var pool = new KernelThreadPool(threads);
        using var kernels = new CpuKernels(pool, isa);

        kernels.Gemv(new Bf16Matrix(w.Pointer, rows, cols), x.Pointer, y.Pointer, bias.Bias);

        for (int r = 0; r < rows; r++)
        {
            var (dot, magnitude) = Reference.Dot(c => Reference.Bf16(weights[r * cols + c]), xValues);
            Reference.Close(dot + bias.Values[r], magnitude + Math.Abs(bias.Values[r]), y.AsSpan()[r], 1e-5, $"row {r}");
        }
        return (weights, xValues, bias.Values, y.AsSpan().ToArray());
    }

    /// <summary>An input that is not a BF16 value is never rounded to one: such a vector takes the float kernels.</summary>
    [Theory]
    [MemberData(nameof(Mxfp4GemvTests.IsaCases), MemberType = typeof(Mxfp4GemvTests))]
    public void Keeps_inputs_that_are_not_bf16_values(string isaName)
    {
        var isa = Enum.Parse<KernelIsa>(isaName);
        const int cols = 128;
        var weights = Enumerable.Repeat((ushort)0x3F80, cols).ToArray();   // 1.0
        using var w = new NativeArray<ushort>(weights);
        var xValues = new float[cols];
        xValues[cols - 1] = 1f + MathF.ScaleB(1f, -20);
        using var x = new NativeArray<float>(xValues);
        using var y = new NativeArray<float>(1);
        using var pool = new KernelThreadPool(1);
        using var kernels = new CpuKernels(pool, isa);

        kernels.Gemv(new Bf16Matrix(w.Pointer, 1, cols), x.Pointer, y.Pointer);

        Assert.Equal(xValues[cols - 1], y.AsSpan()[0]);
    }

    /// <summary>A single one-hot column per call pins each weight to its column (catches an even/odd swap), in both kernels' shapes.</summary>
    [Theory]
    [MemberData(nameof(Mxfp4GemvTests.IsaCases), MemberType = typeof(Mxfp4GemvTests))]
    public void Pairs_each_weight_with_its_own_column(string isaName)
    {
        var isa = Enum.Parse<KernelIsa>(isaName);
        foreach (int cols in new[] { 70, 128 })
            PairsEachWeightWithItsOwnColumn(isa, cols);
    }

    private static void PairsEachWeightWithItsOwnColumn(KernelIsa isa, int cols)
    {
        var weights = Enumerable.Range(0, cols).Select(c => (ushort)(BitConverter.SingleToUInt32Bits(c + 1f) >> 16)).ToArray();
        using var w = new NativeArray<ushort>(weights);
        using var y = new NativeArray<float>(1);
        using var pool = new KernelThreadPool(1);
        using var kernels = new CpuKernels(pool, isa);
        for (int column = 0; column < cols; column++)
        {
            var xValues = new float[cols];
            xValues[column] = 1f;
            using var x = new NativeArray<float>(xValues);
            kernels.Gemv(new Bf16Matrix(w.Pointer, 1, cols), x.Pointer, y.Pointer);
            Assert.Equal(column + 1f, y.AsSpan()[0]);
        }
    }
}
