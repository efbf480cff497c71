using GptOss.Engine.Kernels;

namespace GptOss.Engine.Tests.Kernels;

public sealed unsafe class Bf16GemvTests
{
    public static TheoryData<KernelIsa, int, int, int, BiasKind> Cases()
    {
        var data = new TheoryData<KernelIsa, int, int, int, BiasKind>();
        foreach (var isa in KernelIsas.Supported)
            foreach (int threads in new[] { 1, 2, 3 })
                foreach (var (rows, cols) in new[] { (1, 1), (5, 32), (9, 45), (37, 100), (66, 2880) })
                    foreach (var bias in Enum.GetValues<BiasKind>())
                        data.Add(isa, threads, rows, cols, bias);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_the_reference(KernelIsa isa, int threads, int rows, int cols, BiasKind biasKind)
    {
        var random = new Random(rows * 1000 + cols + threads);
        var weights = Reference.RandomBf16(random, rows * cols);
        using var w = new NativeArray<ushort>(weights);
        using var bias = new BiasData(random, biasKind, rows);
        var xValues = Reference.Normal(random, cols);
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
    }

    public static TheoryData<KernelIsa, int, int, int, BiasKind> Bf16InputCases()
    {
        var data = new TheoryData<KernelIsa, int, int, int, BiasKind>();
        foreach (var isa in KernelIsas.Supported)
            foreach (int threads in new[] { 1, 3 })
                foreach (var (rows, cols) in new[] { (1, 64), (37, 2880), (9, 4096) })
                    foreach (var bias in Enum.GetValues<BiasKind>())
                        data.Add(isa, threads, rows, cols, bias);
        return data;
    }

    /// <summary>
    /// Inputs that are BF16 values (the BF16 mode's activations), in shapes the AVX512-BF16 kernel takes where the CPU has
    /// it; and there, the GEMV gives that kernel's bits (the rows really went through it).
    /// </summary>
    [Theory]
    [MemberData(nameof(Bf16InputCases))]
    public void Matches_the_reference_for_bf16_inputs(KernelIsa isa, int threads, int rows, int cols, BiasKind biasKind)
    {
        var random = new Random(rows * 1000 + cols + threads);
        var weights = Reference.RandomBf16(random, rows * cols);
        using var w = new NativeArray<ushort>(weights);
        using var bias = new BiasData(random, biasKind, rows);
        var xBits = Reference.Normal(random, cols).Select(v => Fp.FloatToBf16(v)).ToArray();
        var xValues = xBits.Select(Fp.Bf16ToFloat).ToArray();
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
        if (isa != KernelIsa.Avx512 || !Avx512Bf16Dot.IsSupported) return;
        using var xb = new NativeArray<ushort>(xBits);
        using var direct = new NativeArray<float>(rows);
        Avx512Bf16Dot.Rows(w.Pointer, xb.Pointer, cols, rows, direct.Pointer);
        for (int r = 0; r < rows; r++)
            Assert.Equal(BitConverter.SingleToUInt32Bits(direct.AsSpan()[r] + (float)bias.Values[r]), BitConverter.SingleToUInt32Bits(y.AsSpan()[r]));
    }

    /// <summary>An input that is not a BF16 value is never rounded to one: such a vector takes the float kernels.</summary>
    [Theory]
    [MemberData(nameof(Mxfp4GemvTests.IsaCases), MemberType = typeof(Mxfp4GemvTests))]
    public void Keeps_inputs_that_are_not_bf16_values(KernelIsa isa)
    {
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
    public void Pairs_each_weight_with_its_own_column(KernelIsa isa)
    {
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
