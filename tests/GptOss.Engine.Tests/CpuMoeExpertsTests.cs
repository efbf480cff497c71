using GptOss.Engine.Checkpoints;
using GptOss.Engine.Forward;
using GptOss.Engine.Kernels;
using GptOss.Engine.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace GptOss.Engine.Tests;

/// <summary>
/// The CPU expert paths (fused decode kernel, packed MXFP4 GEMM for a few tokens per expert, dequantize + GEMM for
/// many) against the tensor-lookup reference, in float32 on random packed weights.
/// </summary>
public sealed unsafe class CpuMoeExpertsTests : IDisposable
{
    private const int Experts = 4, TopK = 2, Hidden = 64, Intermediate = 96;
    private readonly KernelThreadPool _pool = new(2);

    [Theory]
    [InlineData(1, true)]     // decode: fused kernel over the packed bytes
    [InlineData(1, false)]    // a one-token prompt rest: packed GEMM
    [InlineData(3, false)]    // ≤ 8 tokens per expert: packed GEMM
    [InlineData(40, false)]   // ~20 tokens per expert: dequantize once + GEMM
    public void KernelPathsMatchTheReference(int tokens, bool decode)
    {
        using var scratch = new CpuExpertScratch(new CpuKernels(_pool));
        using var scope = torch.NewDisposeScope();
        using var inference = torch.inference_mode();
        var weights = RandomWeights(seed: 7);
        var hidden = torch.randn([tokens, Hidden], generator: torch.manual_seed(tokens));
        var selection = RandomSelection(tokens, new Random(tokens));

        var expected = new DequantizingMoeExperts(weights, new Mxfp4(CPU)).Forward(hidden, selection);
        var experts = new CpuMoeExperts(weights, scratch);
        var actual = decode ? DecodeOne(experts, hidden, selection) : experts.Forward(hidden, selection);

        double scale = expected.abs().max().item<float>();
        double diff = (actual - expected).abs().max().item<float>();
        Assert.True(scale > 1, $"degenerate test data (max |y| = {scale})");
        Assert.True(diff < 1e-5 * scale, $"max |diff| {diff} at max |y| {scale}");
    }

    /// <summary>The decode's fused kernel on one token's float32 row.</summary>
    private static Tensor DecodeOne(CpuMoeExperts experts, Tensor hidden, ExpertSelection selection)
    {
        var h = hidden.contiguous();
        var output = torch.empty_like(h);
        experts.Decode((float*)MappedTensor.Data(h), 1, selection.Experts, selection.Weights, (float*)MappedTensor.Data(output));
        return output;
    }

    private static MoeExpertWeights RandomWeights(int seed)
    {
        var g = torch.manual_seed(seed);
        // Scales 2^-6..2^1 keep outputs in a float32-friendly range; every code value is used.
        Tensor Bytes(long[] shape) => torch.randint(0, 256, shape, ScalarType.Byte, generator: g);
        Tensor Scales(long[] shape) => torch.randint(121, 129, shape, ScalarType.Byte, generator: g);
        return new MoeExpertWeights(
            GateUpBlocks: Bytes([Experts, 2 * Intermediate, Hidden / 32, 16]),
            GateUpScales: Scales([Experts, 2 * Intermediate, Hidden / 32]),
            GateUpBias: torch.randn([Experts, 2 * Intermediate], generator: g),
            DownBlocks: Bytes([Experts, Hidden, Intermediate / 32, 16]),
            DownScales: Scales([Experts, Hidden, Intermediate / 32]),
            DownBias: torch.randn([Experts, Hidden], generator: g),
            SwigluLimit: 7f);
    }

    private static ExpertSelection RandomSelection(int tokens, Random random)
    {
        var experts = new int[tokens * TopK];
        var weights = new float[tokens * TopK];
        for (int t = 0; t < tokens; t++)
        {
            var chosen = Enumerable.Range(0, Experts).OrderBy(_ => random.Next()).Take(TopK).ToArray();
            float first = (float)random.NextDouble();
            for (int j = 0; j < TopK; j++)
            {
                experts[t * TopK + j] = chosen[j];
                weights[t * TopK + j] = j == 0 ? first : 1 - first;
            }
        }
        return new ExpertSelection(tokens, TopK, experts, weights);
    }

    public void Dispose() => _pool.Dispose();
}
