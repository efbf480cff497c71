using GptOss.Engine.Kernels;

namespace GptOss.Engine.Tests.Kernels;

/// <summary>
/// The kernels a batch of decoded sequences runs (dense GEMMs over a few vectors, the experts over the union of the
/// tokens' selections) give each vector the bits that vector gets alone: decoding together must not change a token.
/// </summary>
public sealed unsafe class BatchedKernelsTests
{
    public static TheoryData<string, int, int, bool, BiasKind> DenseCases()
    {
        var data = new TheoryData<string, int, int, bool, BiasKind>();
        foreach (var isa in KernelIsas.Supported)
            foreach (int count in new[] { 1, 2, 3, 4, 5, 8, 11 })   // 11: more vectors than one native call takes
                foreach (int cols in new[] { 100, 2880 })   // 2880: the AVX512-BF16 kernels' shape; 100: float kernels with a tail
                    foreach (bool mixed in new[] { false, true })
                        foreach (var bias in Enum.GetValues<BiasKind>())
                            data.Add(isa.ToString(), count, cols, mixed, bias);
        return data;
    }

    /// <summary>
    /// Vectors of BF16 values (the native kernels where the CPU has them), alone or mixed with one that is not (which
    /// takes the float kernels), 37 rows over 3 threads (chunks that are not multiples of the batch's row runs): every
    /// output row bit for bit the vector's own GEMV, for BF16 and float32 weights.
    /// </summary>
    [Theory]
    [MemberData(nameof(DenseCases))]
    public void A_dense_gemm_gives_each_vector_its_own_gemv_bits(string isaName, int count, int cols, bool mixed, BiasKind biasKind)
    {
        const int threads = 3;
        const int rows = 37;
        var random = new Random(count * 100 + cols);
        var weights = Reference.RandomBf16(random, rows * cols);
        using var bf16Weights = new NativeArray<ushort>(weights);
        using var f32Weights = new NativeArray<float>(weights.Select(b => (float)Reference.Bf16(b)).ToArray());
        using var bias = new BiasData(random, biasKind, rows);
        var vectors = new float[count * cols];
        for (int v = 0; v < count; v++)
        {
            var values = Reference.Normal(random, cols);
            if (!mixed || v != 1) values = values.Select(Fp.RoundToBf16).ToArray();
            values.CopyTo(vectors, v * cols);
        }
        using var x = new NativeArray<float>(vectors);
        using var batched = new NativeArray<float>(count * rows);
        using var alone = new NativeArray<float>(rows);
        using var pool = new KernelThreadPool(threads);
        using var kernels = new CpuKernels(pool, Enum.Parse<KernelIsa>(isaName));
        var bf16Matrix = new Bf16Matrix(bf16Weights.Pointer, rows, cols);
        var f32Matrix = new F32Matrix(f32Weights.Pointer, rows, cols);

        kernels.Gemm(bf16Matrix, x.Pointer, count, batched.Pointer, bias.Bias);
        for (int v = 0; v < count; v++)
        {
            kernels.Gemv(bf16Matrix, x.Pointer + v * cols, alone.Pointer, bias.Bias);
            SameBits.Assert(alone.AsSpan(), batched.AsSpan().Slice(v * rows, rows), $"BF16 weights, vector {v}");
        }
        kernels.Gemm(f32Matrix, x.Pointer, count, batched.Pointer, bias.Bias);
        for (int v = 0; v < count; v++)
        {
            kernels.Gemv(f32Matrix, x.Pointer + v * cols, alone.Pointer, bias.Bias);
            SameBits.Assert(alone.AsSpan(), batched.AsSpan().Slice(v * rows, rows), $"float32 weights, vector {v}");
        }
    }

    private const int Experts = 6, Hidden = 64, K = 2;

    /// <summary>Each token's selections (K per token): disjoint, overlapping in other slot orders, identical, one of them twice in a batch of eight.</summary>
    public static TheoryData<string, string, int, string> ExpertCases()
    {
        var data = new TheoryData<string, string, int, string>();
        foreach (var isa in KernelIsas.Supported)
            foreach (var activations in Enum.GetValues<Mxfp4Activations>())
                foreach (int intermediate in new[] { 96, 128 })   // 96: an odd block count (the down rows take the float path)
                    foreach (var selections in new[] { "0,1", "0,1 2,3", "3,0 0,4 4,3", "1,2 2,1 1,2 5,4", "0,1 2,3 4,5 1,0 3,2 5,4 0,5 2,2" })
                        data.Add(isa.ToString(), activations.ToString(), intermediate, selections);
        return data;
    }

    /// <summary>
    /// Tokens through the batched expert block against each token alone, bit for bit: the union's rows serve every
    /// token that chose them, each token's partial outputs summed in its own slot order, its activations quantized as
    /// alone.
    /// </summary>
    [Theory]
    [MemberData(nameof(ExpertCases))]
    public void The_expert_block_gives_each_token_of_a_batch_its_own_bits(string isaName, string activationsName, int intermediate, string selections)
    {
        var tokens = selections.Split(' ').Select(t => t.Split(',').Select(int.Parse).ToArray()).ToArray();
        ExpertBatchMatchesEachTokenAlone(isaName, activationsName, intermediate, tokens, nonFiniteToken: -1);
    }

    /// <summary>
    /// A token whose hidden row holds inf takes the float path (its integer form cannot hold it); the tokens beside it
    /// keep their integer path and their bits.
    /// </summary>
    [Theory]
    [MemberData(nameof(Mxfp4GemvTests.IsaCases), MemberType = typeof(Mxfp4GemvTests))]
    public void A_token_with_inf_leaves_the_other_tokens_bits_alone(string isaName) =>
        ExpertBatchMatchesEachTokenAlone(isaName, nameof(Mxfp4Activations.Int16), 128, [[0, 1], [1, 2], [2, 0]], nonFiniteToken: 1);

    private static void ExpertBatchMatchesEachTokenAlone(string isaName, string activationsName, int intermediate, int[][] selections, int nonFiniteToken)
    {
        var random = new Random(intermediate + selections.Length);
        using var gateUp = Mxfp4Data.Random(random, Experts * 2 * intermediate, Hidden);
        using var down = Mxfp4Data.Random(random, Experts * Hidden, intermediate);
        using var b1 = new BiasData(random, BiasKind.Bf16, Experts * 2 * intermediate);
        using var b2 = new BiasData(random, BiasKind.Bf16, Experts * Hidden);
        int count = selections.Length;
        var hValues = Reference.Normal(random, count * Hidden, std: 2);
        if (nonFiniteToken >= 0) hValues[nonFiniteToken * Hidden + 5] = float.PositiveInfinity;
        var routing = Enumerable.Range(0, count * K).Select(_ => (float)random.NextDouble()).ToArray();
        var experts = selections.SelectMany(s => s).ToArray();
        using var h = new NativeArray<float>(hValues);
        using var batched = new NativeArray<float>(count * Hidden);
        using var alone = new NativeArray<float>(Hidden);
        using var pool = new KernelThreadPool(3);
        using var kernels = new CpuKernels(pool, Enum.Parse<KernelIsa>(isaName), Enum.Parse<Mxfp4Activations>(activationsName));
        var layer = new Mxfp4Experts(gateUp.Matrix.Blocks, gateUp.Matrix.Scales, b1.Bias, down.Matrix.Blocks, down.Matrix.Scales, b2.Bias,
            Experts, Hidden, intermediate);

        kernels.Experts(layer, h.Pointer, count, experts, routing, batched.Pointer);

        for (int t = 0; t < count; t++)
        {
            kernels.Experts(layer, h.Pointer + t * Hidden, experts.AsSpan(t * K, K), routing.AsSpan(t * K, K), alone.Pointer);
            SameBits.Assert(alone.AsSpan(), batched.AsSpan().Slice(t * Hidden, Hidden), $"token {t} (experts {string.Join(",", selections[t])})");
            if (t != nonFiniteToken) Assert.All(alone.ToArray(), y => Assert.True(float.IsFinite(y), $"token {t} should stay finite"));
        }
    }

    [Fact]
    public void Rejects_selections_that_do_not_split_evenly_over_the_tokens()
    {
        var random = new Random(1);
        using var gateUp = Mxfp4Data.Random(random, 2 * 2 * 32, 32);
        using var down = Mxfp4Data.Random(random, 2 * 32, 32);
        using var h = new NativeArray<float>(2 * 32);
        using var output = new NativeArray<float>(2 * 32);
        using var pool = new KernelThreadPool(1);
        using var kernels = new CpuKernels(pool);
        var layer = new Mxfp4Experts(gateUp.Matrix.Blocks, gateUp.Matrix.Scales, Bias.None, down.Matrix.Blocks, down.Matrix.Scales, Bias.None, 2, 32, 32);
        var error = Assert.Throws<ArgumentException>(() => kernels.Experts(layer, h.Pointer, 2, [0, 1, 1], [1f, 1f, 1f], output.Pointer));
        Assert.Contains("2 tokens", error.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => kernels.Experts(layer, h.Pointer, 0, [0], [1f], output.Pointer));
    }
}
