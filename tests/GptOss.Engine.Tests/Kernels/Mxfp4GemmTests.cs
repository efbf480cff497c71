using GptOss.Engine.Kernels;

namespace GptOss.Engine.Tests.Kernels;

public sealed unsafe class Mxfp4GemmTests
{
    public static TheoryData<string, int, int, int> Cases()
    {
        var data = new TheoryData<string, int, int, int>();
        foreach (var isa in KernelIsas.Supported)
            foreach (int threads in new[] { 1, 3 })
                foreach (int tokens in new[] { 1, 3, 4, 9, 70 })
                    data.Add(isa.ToString(), threads, tokens, tokens == 70 ? 13 : 38);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_the_reference_for_every_token(string isaName, int threads, int tokens, int rows)
    {
        var isa = Enum.Parse<KernelIsa>(isaName);
        const int cols = 160;
        var random = new Random(tokens * 31 + rows + threads);
        // A few blocks carry the edge exponents 0 and 255, which take other paths than the rest.
        using var w = Mxfp4Data.Random(random, rows, cols, (rnd, n) =>
        {
            var scales = Reference.TypicalScales(rnd, n);
            scales[3] = 0;
            scales[n / 2] = 255;
            return scales;
        });
        using var bias = new BiasData(random, BiasKind.F32, rows);
        var xValues = Reference.Normal(random, tokens * cols, std: 1e-3);
        using var x = new NativeArray<float>(xValues);
        using var y = new NativeArray<float>(tokens * rows);
        using var pool = new KernelThreadPool(threads);
        using var kernels = new CpuKernels(pool, isa);

        kernels.Gemm(w.Matrix, x.Pointer, tokens, y.Pointer, bias.Bias);

        for (int t = 0; t < tokens; t++)
            for (int r = 0; r < rows; r++)
            {
                var (dot, magnitude) = w.Dot(r, xValues.AsSpan(t * cols, cols));
                Reference.Close(dot + bias.Values[r], magnitude + Math.Abs(bias.Values[r]), y.AsSpan()[t * rows + r], 1e-5, $"token {t} row {r}");
            }
    }
}
