using GptOss.Engine.Checkpoints;
using GptOss.Engine.Kernels;
using GptOss.Engine.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace GptOss.Engine.Forward;

/// <summary>
/// An attention block on the CPU. Decoded rows (one per sequence of a batch) run entirely on raw pointers (norm, GEMVs, RoPE, the cache write,
/// attention over the visible slots, output projection, residual) with no tensor temporaries; a prompt's rows take
/// libtorch's batched norm, projections and RoPE, then score only the keys each row may see (<see cref="SinkAttention"/>)
/// instead of a masked [T, all keys] matrix. BF16 values are rounded where the tensor pass rounds them.
/// </summary>
internal sealed unsafe class CpuAttentionBlock
{
    private readonly AttentionWeights _w;
    private readonly RowProjection _q, _k, _v, _out;
    private readonly RotaryEmbedding _rope;
    private readonly Tensor _sinks;   // float32 [heads], kept alive for the layout's pointer
    private readonly AttentionLayout _layout;
    private readonly CpuAttentionScratch _scratch;
    private readonly int _hidden;

    public CpuAttentionBlock(AttentionWeights weights, RotaryEmbedding rope, ModelConfig config, ScalarType activationType, CpuAttentionScratch scratch)
    {
        _w = weights;
        (_q, _k, _v, _out) = (new(weights.Q, scratch.Kernels), new(weights.K, scratch.Kernels), new(weights.V, scratch.Kernels), new(weights.Output, scratch.Kernels));
        _rope = rope;
        _sinks = weights.Sinks.to(ScalarType.Float32).contiguous().DetachFromDisposeScope();
        _layout = new AttentionLayout(config.NumAttentionHeads, config.NumKeyValueHeads, config.HeadDim, weights.Window,
            (float*)MappedTensor.Data(_sinks), activationType == ScalarType.BFloat16);
        _scratch = scratch;
        _hidden = config.HiddenSize;
    }

    /// <summary>
    /// <c>x + Attn(RMSNorm(x))</c> for rows of <paramref name="x"/> [T, H] at positions start..start+T-1; a single row
    /// takes the decode's row path.
    /// </summary>
    public Tensor Prefill(Tensor x, LayerKvCache cache, int start)
    {
        if (x.shape[0] == 1) return DecodeTensorRow(x.contiguous(), cache, start);
        int count = (int)x.shape[0];
        var t = _w.Norm.Forward(x);
        var q = _rope.Apply(_q.Forward(t).view(count, _layout.Heads, _layout.HeadDim), start).to(ScalarType.Float32).contiguous();
        var k = _rope.Apply(_k.Forward(t).view(count, _layout.KvHeads, _layout.HeadDim), start).contiguous();
        var v = _v.Forward(t).view(count, _layout.KvHeads, _layout.HeadDim).contiguous();
        var attended = torch.empty([count, (long)_layout.Heads * _layout.HeadDim], ScalarType.Float32);
        _scratch.Attention.Run(_layout, cache.Rows(start, MappedTensor.Data(k), MappedTensor.Data(v)), (float*)MappedTensor.Data(q), count, start, (float*)MappedTensor.Data(attended));
        cache.Store(start, k, v);
        GC.KeepAlive(q);
        return x + _out.Forward(attended.to(x.dtype));
    }

    /// <summary>
    /// <c>x += Attn(RMSNorm(x))</c> for the float32 rows of <paramref name="residuals"/> [count, H], row i a token at
    /// <paramref name="positions"/>[i] of the sequence whose cache is <paramref name="caches"/>[i] (rounded to the
    /// activation dtype: what the tensor pass stores). The projections read their weights once for all rows; each row
    /// attends over its own cache. A row's result is what it gets alone.
    /// </summary>
    public void Decode(float* residuals, ReadOnlySpan<LayerKvCache> caches, ReadOnlySpan<int> positions)
    {
        bool bf16 = _layout.Bf16;
        int count = positions.Length, queryWidth = _layout.Heads * _layout.HeadDim, kvWidth = _layout.KvHeads * _layout.HeadDim;
        long phase = DecodePhases.Start();
        var rows = _scratch.Rows(count, _hidden, queryWidth, kvWidth);
        for (int i = 0; i < count; i++) _w.Norm.Forward(residuals + (long)i * _hidden, rows.Normed + (long)i * _hidden, _hidden, bf16);
        DecodePhases.End(DecodePhases.Router, ref phase);
        Project(_q, rows.Normed, rows.Q, count, queryWidth, bf16);
        Project(_k, rows.Normed, rows.K, count, kvWidth, bf16);
        Project(_v, rows.Normed, rows.V, count, kvWidth, bf16);
        DecodePhases.End(DecodePhases.Qkv, ref phase);
        for (int i = 0; i < count; i++)
        {
            float* q = rows.Q + (long)i * queryWidth, k = rows.K + (long)i * kvWidth;
            _rope.Apply(q, _layout.Heads, positions[i], bf16);
            _rope.Apply(k, _layout.KvHeads, positions[i], bf16);
            caches[i].Store(positions[i], k, rows.V + (long)i * kvWidth);
            _scratch.Attention.Run(_layout, caches[i].Rows(positions[i] + 1, null, null), q, 1, positions[i], rows.Attended + (long)i * queryWidth);
        }
        DecodePhases.End(DecodePhases.Attention, ref phase);
        Project(_out, rows.Attended, rows.Projected, count, _hidden, bf16);
        long all = (long)count * _hidden;
        for (long i = 0; i < all; i++) residuals[i] += rows.Projected[i];
        ActivationRow.Round(residuals, (int)all, bf16);
        DecodePhases.End(DecodePhases.Output, ref phase);
    }

    private Tensor DecodeTensorRow(Tensor x, LayerKvCache cache, int position)
    {
        bool bf16 = _layout.Bf16;
        float* residual = _scratch.Residual(_hidden);
        var output = torch.empty_like(x);
        ActivationRow.Read(MappedTensor.Data(x), residual, _hidden, bf16);
        Decode(residual, [cache], [position]);
        ActivationRow.Write(residual, MappedTensor.Data(output), _hidden, bf16);
        GC.KeepAlive(x);
        return output;
    }

    /// <summary>y = W·x + b for <paramref name="count"/> rows of width <paramref name="n"/>, rounded to BF16 where the tensor pass stores the projection in BF16.</summary>
    private static void Project(RowProjection projection, float* x, float* y, int count, int n, bool bf16)
    {
        projection.Apply(x, y, count);
        ActivationRow.Round(y, count * n, bf16);
    }
}
