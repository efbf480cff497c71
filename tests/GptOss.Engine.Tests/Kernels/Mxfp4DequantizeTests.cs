using GptOss.Engine.Kernels;

namespace GptOss.Engine.Tests.Kernels;

public sealed unsafe class Mxfp4DequantizeTests
{
    public static TheoryData<string, int> Cases()
    {
        var data = new TheoryData<string, int>();
        foreach (var isa in KernelIsas.Supported)
            foreach (int threads in new[] { 1, 2 })
                data.Add(isa.ToString(), threads);
        return data;
    }

    /// <summary>Decoded values are exact in both formats, so the comparison is exact; every exponent appears.</summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void Expands_rows_exactly(string isaName, int threads)
    {
        var isa = Enum.Parse<KernelIsa>(isaName);
        const int rows = 19, cols = 448, rowStart = 1, rowCount = 18;
        var random = new Random(threads);
        var scales = new byte[rows * cols / 32];
        for (int i = 0; i < scales.Length; i++) scales[i] = (byte)i; // the tested rows hold 14..255, 0..9
        using var w = new Mxfp4Data(Reference.RandomBytes(random, rows * cols / 2), scales, rows, cols);
        using var f32 = new NativeArray<float>(rowCount * cols);
        using var bf16 = new NativeArray<ushort>(rowCount * cols);
        using var pool = new KernelThreadPool(threads);
        using var kernels = new CpuKernels(pool, isa);

        kernels.Dequantize(w.Matrix, rowStart, rowCount, f32.Pointer);
        kernels.Dequantize(w.Matrix, rowStart, rowCount, bf16.Pointer);

        for (int r = 0; r < rowCount; r++)
            for (int c = 0; c < cols; c++)
            {
                float expected = (float)w[rowStart + r, c];
                Assert.Equal(expected, f32.AsSpan()[r * cols + c]);
                Assert.Equal(expected, (float)Reference.Bf16(bf16.AsSpan()[r * cols + c]));
            }
    }

    /// <summary>With the matrix's scales known to lie in the vector range, rows take the unchecked loop: same values.</summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void Expands_rows_with_known_in_range_scales_exactly(string isaName, int threads)
    {
        var isa = Enum.Parse<KernelIsa>(isaName);
        const int rows = 9, cols = 2880;
        var scales = new byte[rows * cols / 32];
        for (int i = 0; i < scales.Length; i++) scales[i] = (byte)(2 + i % 251);   // 2..252, every one of them
        using var w = new Mxfp4Data(Reference.RandomBytes(new Random(threads), rows * cols / 2), scales, rows, cols);
        var known = w.Matrix.WithScaleBounds();
        Assert.Equal(new ScaleBounds(2, 252), known.KnownScales);
        using var bf16 = new NativeArray<ushort>(rows * cols);
        using var pool = new KernelThreadPool(threads);
        using var kernels = new CpuKernels(pool, isa);

        kernels.Dequantize(known, 0, rows, bf16.Pointer);

        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                Assert.Equal((float)w[r, c], (float)Reference.Bf16(bf16.AsSpan()[r * cols + c]));
    }

    [Fact]
    public void Rejects_rows_outside_the_matrix()
    {
        using var w = Mxfp4Data.Random(new Random(1), 4, 32);
        using var dest = new NativeArray<float>(5 * 32);
        using var pool = new KernelThreadPool(1);
        using var kernels = new CpuKernels(pool);
        Assert.Throws<ArgumentOutOfRangeException>(() => kernels.Dequantize(w.Matrix, 1, 4, dest.Pointer));
    }
}
