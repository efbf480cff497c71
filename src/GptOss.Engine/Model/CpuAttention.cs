using GptOss.Engine.Checkpoints;
using GptOss.Engine.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace GptOss.Engine.Model;

/// <summary>
/// An attention block's math on the CPU. One decoded row runs entirely on raw pointers (norm, GEMVs, RoPE, the cache
/// write, attention over the visible slots, output projection, residual) with no tensor temporaries; several rows take
/// libtorch's batched norm, projections and RoPE, then score only the keys each row may see (<see cref="SinkAttention"/>)
/// instead of a masked [T, all keys] matrix. BF16 values are rounded where the tensor path rounds them.
/// </summary>
internal sealed unsafe class CpuAttention
{
    private readonly RmsNorm _norm;
    private readonly Linear _q, _k, _v, _out;
    private readonly RotaryEmbedding _rope;
    private readonly Tensor _sinks;   // float32 [heads], kept alive for the layout's pointer
    private readonly AttentionLayout _layout;
    private readonly CpuAttentionScratch _scratch;
    private readonly int _hidden;

    public CpuAttention(RmsNorm norm, Linear q, Linear k, Linear v, Linear output, RotaryEmbedding rope, Tensor sinks,
        int heads, int kvHeads, int headDim, int window, int hidden, ScalarType activationType, CpuAttentionScratch scratch)
    {
        _norm = norm;
        (_q, _k, _v, _out) = (q, k, v, output);
        _rope = rope;
        _sinks = sinks.to(ScalarType.Float32).contiguous().DetachFromDisposeScope();
        _layout = new AttentionLayout(heads, kvHeads, headDim, window, (float*)MappedTensor.Data(_sinks), activationType == ScalarType.BFloat16);
        _scratch = scratch;
        _hidden = hidden;
    }

    /// <summary>Whether the projections can run on the CPU kernels (BF16 or float32 weights in CPU memory).</summary>
    public static bool Supports(params Linear[] projections) => projections.All(p => p.HasKernel);

    /// <summary><c>x + Attn(RMSNorm(x))</c> for rows of <paramref name="x"/> [T, H] at positions start..start+T-1.</summary>
    public Tensor Forward(Tensor x, LayerKvCache cache, int start) =>
        x.shape[0] == 1 ? Decode(x.is_contiguous() ? x : x.contiguous(), cache, start) : Prefill(x, cache, start);

    private Tensor Decode(Tensor x, LayerKvCache cache, int position)
    {
        bool bf16 = _layout.Bf16;
        int queryWidth = _layout.Heads * _layout.HeadDim, kvWidth = _layout.KvHeads * _layout.HeadDim;
        var rows = _scratch.Rows(_hidden, queryWidth, kvWidth);
        var output = torch.empty_like(x);
        ActivationRow.Read(MappedTensor.Data(x), rows.Residual, _hidden, bf16);

        _norm.Forward(rows.Residual, rows.Normed, _hidden, bf16);
        Project(_q, rows.Normed, rows.Q, queryWidth, bf16);
        Project(_k, rows.Normed, rows.K, kvWidth, bf16);
        Project(_v, rows.Normed, rows.V, kvWidth, bf16);
        _rope.Apply(rows.Q, _layout.Heads, position, bf16);
        _rope.Apply(rows.K, _layout.KvHeads, position, bf16);
        cache.Store(position, rows.K, rows.V);
        _scratch.Attention.Run(_layout, cache.Rows(position + 1, null, null), rows.Q, 1, position, rows.Attended);
        Project(_out, rows.Attended, rows.Projected, _hidden, bf16);

        for (int i = 0; i < _hidden; i++) rows.Residual[i] += rows.Projected[i];
        ActivationRow.Write(rows.Residual, MappedTensor.Data(output), _hidden, bf16);
        GC.KeepAlive(x);
        return output;
    }

    private Tensor Prefill(Tensor x, LayerKvCache cache, int start)
    {
        int count = (int)x.shape[0];
        var t = _norm.Forward(x);
        var q = _rope.Apply(_q.Forward(t).view(count, _layout.Heads, _layout.HeadDim), start).to(ScalarType.Float32).contiguous();
        var k = _rope.Apply(_k.Forward(t).view(count, _layout.KvHeads, _layout.HeadDim), start).contiguous();
        var v = _v.Forward(t).view(count, _layout.KvHeads, _layout.HeadDim).contiguous();
        var attended = torch.empty([count, (long)_layout.Heads * _layout.HeadDim], ScalarType.Float32);
        _scratch.Attention.Run(_layout, cache.Rows(start, MappedTensor.Data(k), MappedTensor.Data(v)), (float*)MappedTensor.Data(q), count, start, (float*)MappedTensor.Data(attended));
        cache.Store(start, k, v);
        GC.KeepAlive(q);
        return x + _out.Forward(attended.to(x.dtype));
    }

    /// <summary>y = W·x + b, rounded to BF16 where the tensor path stores the projection in BF16.</summary>
    private static void Project(Linear projection, float* x, float* y, int n, bool bf16)
    {
        projection.Gemv(x, y);
        ActivationRow.Round(y, n, bf16);
    }

}
