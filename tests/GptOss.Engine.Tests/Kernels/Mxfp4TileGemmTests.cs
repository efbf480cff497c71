using GptOss.Engine.Kernels;

namespace GptOss.Engine.Tests.Kernels;

/// <summary>
/// The MXFP4 tile GEMM (AVX512-BF16 microkernels over dequantized tiles) against the plain reference: exact BF16
/// products summed in double, the kernel's float32 sums within a few float32 ulps per column.
/// </summary>
public sealed unsafe class Mxfp4TileGemmTests
{
    public static TheoryData<int, int, int, int> Shapes() => new()
    {
        // tokens (wide blocks of 32, a narrow last block of 16, both), rows (whole tiles or a short last one), columns, threads
        { 9, 37, 160, 1 },
        { 13, 24, 2880, 2 },
        { 64, 50, 160, 3 },
        { 100, 13, 2880, 2 },
        { 17, 48, 64, 2 },
        { 32, 30, 32, 1 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Matches_the_reference(int tokens, int rows, int cols, int threads)
    {
        if (!Mxfp4TileGemm.IsSupported) return;
        var random = new Random(tokens * 131 + rows * 7 + cols);
        // Edge exponents: 0 (subnormal multiplier; the kernel counts denormals as zero, far below the bound) and 255 (±∞, NaN).
        using var w = Mxfp4Data.Random(random, rows, cols, (rnd, n) =>
        {
            var scales = Reference.TypicalScales(rnd, n);
            scales[1] = 0;
            scales[n / 2 + 1] = 255;
            return scales;
        });
        var x = Reference.RandomBf16(random, tokens * cols);
        var y = TileGemm(w, x, tokens, threads);

        var xValues = x.Select(b => (float)Reference.Bf16(b)).ToArray();
        double tolerance = 4.0 * cols * Math.ScaleB(1.0, -24);
        for (int t = 0; t < tokens; t++)
            for (int r = 0; r < rows; r++)
            {
                var (dot, magnitude) = w.Dot(r, xValues.AsSpan(t * cols, cols));
                Reference.Close(dot, magnitude, y[t * rows + r], tolerance, $"token {t} row {r}");
            }
    }

    /// <summary>
    /// A token's sums are the same bits whatever other tokens share the matrix: alone in a narrow block, in wide blocks,
    /// in another lane (the tokens before it left out).
    /// </summary>
    [Fact]
    public void A_tokens_sums_do_not_depend_on_the_other_tokens()
    {
        if (!Mxfp4TileGemm.IsSupported) return;
        const int rows = 40, cols = 2880, tokens = 40;
        var random = new Random(5);
        using var w = Mxfp4Data.Random(random, rows, cols);
        var x = Reference.RandomBf16(random, tokens * cols);
        var all = TileGemm(w, x, tokens, threads: 2);
        foreach (var (first, count) in new[] { (0, 12), (0, 9), (5, 35), (27, 13), (39, 1) })
        {
            var some = TileGemm(w, x.AsSpan(first * cols, count * cols).ToArray(), count, threads: 2);
            SameBits.Assert(all.AsSpan(first * rows, count * rows), some, $"tokens {first}..{first + count - 1} alone");
        }
    }

    private static float[] TileGemm(Mxfp4Data w, ushort[] x, int tokens, int threads)
    {
        using var input = new NativeArray<ushort>(x);
        using var output = new NativeArray<float>((long)tokens * w.Rows);
        using var pool = new KernelThreadPool(threads);
        using var gemm = new Mxfp4TileGemm(pool);
        gemm.Gemm(w.Matrix, input.Pointer, tokens, output.Pointer);
        return output.ToArray();
    }
}
