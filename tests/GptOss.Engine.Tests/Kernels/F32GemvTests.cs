using GptOss.Engine.Kernels;

namespace GptOss.Engine.Tests.Kernels;

/// <summary>The float32 GEMV (the float32 mode's single-row projections) against a double-precision reference.</summary>
public sealed unsafe class F32GemvTests
{
    public static TheoryData<string, int, int, int, bool> Cases()
    {
        var data = new TheoryData<string, int, int, int, bool>();
        foreach (var isa in KernelIsas.Supported)
            foreach (int threads in new[] { 1, 3 })
                foreach (var (rows, cols) in new[] { (1, 1), (5, 32), (9, 45), (37, 100), (66, 2880) })
                    foreach (bool withBias in new[] { false, true })
                        data.Add(isa.ToString(), threads, rows, cols, withBias);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_the_reference(string isaName, int threads, int rows, int cols, bool withBias)
    {
        var isa = Enum.Parse<KernelIsa>(isaName);
        var random = new Random(rows * 1000 + cols + threads);
        var weights = Reference.Normal(random, rows * cols);
        var biasValues = withBias ? Reference.Normal(random, rows) : new float[rows];
        using var w = new NativeArray<float>(weights);
        using var b = new NativeArray<float>(biasValues);
        var xValues = Reference.Normal(random, cols);
        using var x = new NativeArray<float>(xValues);
        using var y = new NativeArray<float>(rows);
        using var pool = new KernelThreadPool(threads);
        using var kernels = new CpuKernels(pool, isa);

        kernels.Gemv(new F32Matrix(w.Pointer, rows, cols), x.Pointer, y.Pointer, withBias ? Bias.F32(b.Pointer) : Bias.None);

        for (int r = 0; r < rows; r++)
        {
            var (dot, magnitude) = Reference.Dot(c => weights[r * cols + c], xValues);
            Reference.Close(dot + biasValues[r], magnitude + Math.Abs(biasValues[r]), y.AsSpan()[r], 1e-5, $"row {r}");
        }
    }

    /// <summary>A single one-hot column per call pins each weight to its column (catches an even/odd swap).</summary>
    [Theory]
    [MemberData(nameof(Mxfp4GemvTests.IsaCases), MemberType = typeof(Mxfp4GemvTests))]
    public void Pairs_each_weight_with_its_own_column(string isaName)
    {
        var isa = Enum.Parse<KernelIsa>(isaName);
        const int cols = 70;
        using var w = new NativeArray<float>(Enumerable.Range(0, cols).Select(c => c + 1f).ToArray());
        using var y = new NativeArray<float>(1);
        using var pool = new KernelThreadPool(1);
        using var kernels = new CpuKernels(pool, isa);
        for (int column = 0; column < cols; column++)
        {
            var xValues = new float[cols];
            xValues[column] = 1f;
            using var x = new NativeArray<float>(xValues);
            kernels.Gemv(new F32Matrix(w.Pointer, 1, cols), x.Pointer, y.Pointer);
            Assert.Equal(column + 1f, y.AsSpan()[0]);
        }
    }
}
