using GptOss.Engine.Kernels;

namespace GptOss.Engine.Tests.Kernels;

public sealed unsafe class ExpertsTests
{
    private const int Experts = 5, Hidden = 64;

    /// <summary>Intermediate 96 (an odd block count: the down rows take the float path) and 128, both activation modes.</summary>
    public static TheoryData<string, string, int, int, BiasKind> Cases()
    {
        var data = new TheoryData<string, string, int, int, BiasKind>();
        foreach (var isa in KernelIsas.Supported)
            foreach (var activations in Enum.GetValues<Mxfp4Activations>())
                foreach (int intermediate in new[] { 96, 128 })
                    foreach (int threads in new[] { 1, 2, 3 })
                        foreach (var bias in new[] { BiasKind.Bf16, BiasKind.F32 })
                            data.Add(isa.ToString(), activations.ToString(), intermediate, threads, bias);
        return data;
    }

    /// <summary>
    /// Σ_e w_e·(W2[e]·SwiGLU(W1[e]·h + b1) + b2) against the spec written in double. h is large
    /// enough that gate and up values cross the ±7 clamps, so a swapped gate/up or a missing clamp shows.
    /// </summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_the_reference_moe_block(string isaName, string activationsName, int intermediate, int threads, BiasKind biasKind)
    {
        var isa = Enum.Parse<KernelIsa>(isaName);
        var activations = Enum.Parse<Mxfp4Activations>(activationsName);
        var random = new Random(threads * 3 + (int)biasKind);
        using var gateUp = Mxfp4Data.Random(random, Experts * 2 * intermediate, Hidden);
        using var down = Mxfp4Data.Random(random, Experts * Hidden, intermediate);
        using var b1 = new BiasData(random, biasKind, Experts * 2 * intermediate);
        using var b2 = new BiasData(random, biasKind, Experts * Hidden);
        var hValues = Reference.Normal(random, Hidden, std: 2);
        using var h = new NativeArray<float>(hValues);
        using var output = new NativeArray<float>(Hidden);
        using var pool = new KernelThreadPool(threads);
        using var kernels = new CpuKernels(pool, isa, activations);
        var layer = new Mxfp4Experts(
            gateUp.Matrix.Blocks, gateUp.Matrix.Scales, b1.Bias,
            down.Matrix.Blocks, down.Matrix.Scales, b2.Bias,
            Experts, Hidden, intermediate);
        int[] selected = [3, 0, 4];
        float[] routing = [0.5f, 0.3f, 0.2f];

        kernels.Experts(layer, h.Pointer, selected, routing, output.Pointer);

        var expected = new double[Hidden];
        var magnitude = new double[Hidden];
        int clamped = 0;
        for (int i = 0; i < selected.Length; i++)
        {
            int e = selected[i];
            var a = new float[intermediate];
            for (int j = 0; j < intermediate; j++)
            {
                int gateRow = e * 2 * intermediate + 2 * j;
                double gate = gateUp.Dot(gateRow, hValues).Value + b1.Values[gateRow];
                double up = gateUp.Dot(gateRow + 1, hValues).Value + b1.Values[gateRow + 1];
                if (gate > 7 || Math.Abs(up) > 7) clamped++;
                a[j] = (float)Reference.SwiGlu(gate, up);
            }
            for (int r = 0; r < Hidden; r++)
            {
                var (dot, mag) = down.Dot(e * Hidden + r, a);
                expected[r] += routing[i] * (dot + b2.Values[e * Hidden + r]);
                magnitude[r] += routing[i] * (mag + Math.Abs(b2.Values[e * Hidden + r]));
            }
        }
        Assert.True(clamped > 10, "test data should exercise the clamps");
        // Int16 rounds h and the SwiGLU outputs by up to 2^-14 of each block's largest magnitude; through SwiGLU's slope
        // (up to ~8 at the clamps) and the down projection that stays within 1e-3 of the row's magnitude.
        double tolerance = activations == Mxfp4Activations.Int16 ? 1e-3 : 2e-5;
        for (int r = 0; r < Hidden; r++) Reference.Close(expected[r], magnitude[r], output.AsSpan()[r], tolerance, $"output {r}");
    }

    [Fact]
    public void Rejects_an_expert_outside_the_layer()
    {
        var random = new Random(1);
        using var gateUp = Mxfp4Data.Random(random, 2 * 2 * 32, 32);
        using var down = Mxfp4Data.Random(random, 2 * 32, 32);
        using var h = new NativeArray<float>(32);
        using var output = new NativeArray<float>(32);
        using var pool = new KernelThreadPool(1);
        using var kernels = new CpuKernels(pool);
        var layer = new Mxfp4Experts(gateUp.Matrix.Blocks, gateUp.Matrix.Scales, Bias.None, down.Matrix.Blocks, down.Matrix.Scales, Bias.None, 2, 32, 32);
        Assert.Throws<ArgumentOutOfRangeException>(() => kernels.Experts(layer, h.Pointer, [2], [1f], output.Pointer));
        Assert.Throws<ArgumentException>(() => kernels.Experts(layer, h.Pointer, [0, 1], [1f], output.Pointer));
    }
}
