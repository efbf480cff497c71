using GptOss.Engine.Checkpoints;
using GptOss.Engine.Kernels;
using GptOss.Engine.Model;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn.functional;

namespace GptOss.Engine.Forward;

/// <summary>
/// The experts on the CPU through the MXFP4 kernels. Decoded tokens (one per sequence): the fused kernel reads the
/// selected experts' packed bytes directly, once for the batch (bandwidth-bound, float32 math). Several tokens (prefill): per expert some token selected,
/// a GEMM over all of its tokens (compute-bound): in BF16 on AVX512-BF16 the tile GEMM (<see cref="Mxfp4TileGemm"/>, tiles
/// dequantized into cache), otherwise the weights dequantized once into a reused buffer and libtorch's GEMM.
/// </summary>
internal sealed unsafe class CpuMoeExperts : IMoeExperts
{
    private readonly MoeExpertWeights _weights;
    private readonly CpuExpertScratch _scratch;
    private readonly Mxfp4Experts _packed;

    /// <summary>Up to this many tokens an expert runs from its packed bytes; beyond, dequantized once and through a BF16/F32 GEMM.</summary>
    private const int PackedGemmTokens = 8;

    public CpuMoeExperts(MoeExpertWeights weights, CpuExpertScratch scratch)
    {
        _weights = weights;
        _scratch = scratch;
        var gateUpBlocks = weights.GateUpBlocks;
        _packed = new Mxfp4Experts(
            MappedTensor.Data(gateUpBlocks), MappedTensor.Data(weights.GateUpScales), BiasOf(weights.GateUpBias),
            MappedTensor.Data(weights.DownBlocks), MappedTensor.Data(weights.DownScales), BiasOf(weights.DownBias),
            (int)gateUpBlocks.shape[0], (int)weights.DownBlocks.shape[1], (int)gateUpBlocks.shape[1] / 2);
    }

    /// <summary>What this layer shares with the others: kernels, dequantization buffers, decode rows.</summary>
    public CpuExpertScratch Scratch => _scratch;

    /// <summary>
    /// Decoded tokens' experts on float32 rows, k = experts.Length / count per token: output[t] = Σ weights[t·k+i]·expert_{t·k+i}(h[t])
    /// ([count, H] each), each selected expert's rows read once for every token that chose it.
    /// </summary>
    public void Decode(float* h, int count, ReadOnlySpan<int> experts, ReadOnlySpan<float> weights, float* output) =>
        _scratch.Kernels.Experts(_packed, h, count, experts, weights, output);

    /// <summary>
    /// A prompt's tokens, grouped by expert: the packed GEMM for an expert with few tokens; else, BF16 on a CPU with
    /// AVX512-BF16, the tile GEMM (no BF16 copy of the expert, no tensors per expert), otherwise dequantize once + GEMM.
    /// </summary>
    public Tensor Forward(Tensor hidden, ExpertSelection selection)
    {
        var type = hidden.dtype;
        var sum = torch.zeros([selection.TokenCount, hidden.shape[1]], ScalarType.Float32);
        var tiles = type == ScalarType.BFloat16 ? _scratch.Tiles : null;
        var rows = tiles == null ? null : hidden.contiguous();
        foreach (var (expert, tokens, tokenWeights) in ExpertGroups.Of(selection))
        {
            using var expertScope = torch.NewDisposeScope();   // sum is updated in place; the rest goes per expert
            if (tokens.Length > PackedGemmTokens && tiles != null)
            {
                tiles.Expert(_packed, expert, (ushort*)MappedTensor.Data(rows!), Array.ConvertAll(tokens, t => (int)t), tokenWeights,
                    _weights.SwigluLimit, (float*)MappedTensor.Data(sum));
                continue;
            }
            var index = torch.tensor(tokens);
            var x = hidden.index_select(0, index);
            if (tokens.Length <= PackedGemmTokens)
            {
                var yPacked = PackedGemm(expert, x, type);
                sum.index_add_(0, index, yPacked * torch.tensor(tokenWeights, [tokenWeights.Length, 1]), 1.0);
                continue;
            }
            var gateUp = _scratch.Dequantize(_packed.GateUp(expert), type, slot: 0);
            var activated = DequantizingMoeExperts.SwiGlu(linear(x, gateUp, _weights.GateUpBias[expert]), _weights.SwigluLimit);
            var down = _scratch.Dequantize(_packed.Down(expert), type, slot: 1);
            var y = linear(activated, down, _weights.DownBias[expert]);
            var w = torch.tensor(tokenWeights, [tokenWeights.Length, 1]);
            sum.index_add_(0, index, y.to(ScalarType.Float32) * w, 1.0);
        }
        GC.KeepAlive(rows);
        return sum.to(type);
    }

    /// <summary>
    /// An expert over a few tokens straight from its packed bytes (the MXFP4 GEMM kernel: few tokens cannot repay a
    /// dequantized copy). Outputs are rounded to the activation dtype where the batched path's are.
    /// </summary>
    private Tensor PackedGemm(int expert, Tensor x, ScalarType type)
    {
        int n = (int)x.shape[0];
        var input = x.to(ScalarType.Float32).contiguous();
        var gateUp = torch.empty([n, 2L * _packed.Intermediate], ScalarType.Float32);
        _scratch.Kernels.Gemm(_packed.GateUp(expert), (float*)MappedTensor.Data(input), n, (float*)MappedTensor.Data(gateUp), _packed.GateUpBias(expert));
        var activated = DequantizingMoeExperts.SwiGlu(gateUp.to(type), _weights.SwigluLimit).to(ScalarType.Float32).contiguous();
        var output = torch.empty([n, (long)_packed.Hidden], ScalarType.Float32);
        _scratch.Kernels.Gemm(_packed.Down(expert), (float*)MappedTensor.Data(activated), n, (float*)MappedTensor.Data(output), _packed.DownBias(expert));
        GC.KeepAlive(input);
        GC.KeepAlive(activated);
        return output.to(type).to(ScalarType.Float32);
    }


    private static Bias BiasOf(Tensor t) => t.dtype == ScalarType.BFloat16 ? Bias.Bf16((ushort*)MappedTensor.Data(t)) : Bias.F32((float*)MappedTensor.Data(t));
}

/// <summary>
/// What every layer's <see cref="CpuMoeExperts"/> shares: the kernels (and their thread pool) and the buffers experts
/// are dequantized into, so a prefill allocates no expert-sized memory per expert.
/// </summary>
internal sealed unsafe class CpuExpertScratch(CpuKernels kernels) : IDisposable
{
    private Mxfp4TileGemm? _tiles;
    private readonly Dictionary<(int Slot, int Rows, int Columns, ScalarType Type), Tensor> _buffers = [];
    private readonly NativeBuffer<float> _rows = new();
    private int[] _chosen = [];
    private float[] _routing = [];

    public CpuKernels Kernels { get; } = kernels;

    /// <summary>The BF16 tile GEMM over the kernels' pool, or null where the CPU lacks AVX512-BF16 (made on first use).</summary>
    public Mxfp4TileGemm? Tiles => Mxfp4TileGemm.IsSupported && Kernels.Isa == KernelIsa.Avx512 ? _tiles ??= new Mxfp4TileGemm(Kernels.Pool) : null;

    /// <summary>
    /// Float32 rows for <paramref name="count"/> decoded tokens' MoE block, each [count, width]: normed and experts' sum [H],
    /// router logits [E]; and each token's chosen experts and routing weights [count·topK].
    /// </summary>
    public MoeDecodeRows DecodeRows(int count, int hidden, int experts, int topK)
    {
        long padded = ((long)count * hidden + 15) & ~15L;   // each buffer on a 64-byte boundary
        float* p = _rows.Get(2 * padded + (long)count * experts);
        if (_chosen.Length < count * topK) (_chosen, _routing) = (new int[count * topK], new float[count * topK]);
        return new MoeDecodeRows(p, p + padded, p + 2 * padded, _chosen, _routing);
    }

    /// <summary>The whole matrix in <paramref name="type"/> (BF16 or float32), in the buffer of <paramref name="slot"/>; valid until its next use.</summary>
    public Tensor Dequantize(in Mxfp4Matrix w, ScalarType type, int slot)
    {
        var key = (slot, w.Rows, w.Cols, type);
        if (!_buffers.TryGetValue(key, out var buffer))
            _buffers[key] = buffer = torch.empty([w.Rows, w.Cols], type).DetachFromDisposeScope();
        var data = MappedTensor.Data(buffer);
        if (type == ScalarType.BFloat16) Kernels.Dequantize(w, 0, w.Rows, (ushort*)data);
        else Kernels.Dequantize(w, 0, w.Rows, (float*)data);
        return buffer;
    }

    public void Dispose()
    {
        foreach (var buffer in _buffers.Values) buffer.Dispose();
        _buffers.Clear();
        _rows.Dispose();
        _tiles?.Dispose();
    }
}

/// <summary>The float32 rows of a batch of decoded tokens through a MoE block, and their expert choices.</summary>
internal readonly unsafe struct MoeDecodeRows(float* normed, float* experts, float* logits, int[] chosen, float[] weights)
{
    public readonly float* Normed = normed, Experts = experts, Logits = logits;
    public readonly int[] Chosen = chosen;
    public readonly float[] Weights = weights;
}
