using GptOss.Engine.Checkpoints;
using GptOss.Engine.Model;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn.functional;

namespace GptOss.Engine.Forward;

/// <summary>
/// Pre-norm attention on tensors: biased q/k/v/o, grouped-query heads, learned sinks (an extra softmax column without a
/// value), YaRN RoPE and, on sliding layers, a window of <c>W</c> keys including the current one, as a masked
/// [T, visible keys] score matrix.
/// </summary>
internal sealed class TensorAttentionBlock
{
    private readonly AttentionWeights _w;
    private readonly Tensor _sinks;   // [kvHeads, queriesPerKv, 1, 1]
    private readonly RotaryEmbedding _rope;
    private readonly int _heads, _kvHeads, _headDim;
    private readonly double _smScale;

    public TensorAttentionBlock(AttentionWeights weights, RotaryEmbedding rope, ModelConfig config)
    {
        _w = weights;
        _rope = rope;
        (_heads, _kvHeads, _headDim) = (config.NumAttentionHeads, config.NumKeyValueHeads, config.HeadDim);
        _smScale = 1.0 / Math.Sqrt(_headDim);
        _sinks = weights.Sinks.view(_kvHeads, _heads / _kvHeads, 1, 1).DetachFromDisposeScope();
    }

    /// <summary><c>x + Attn(RMSNorm(x))</c> for rows of <paramref name="x"/> [T, H] at positions start..start+T-1.</summary>
    public Tensor Forward(Tensor x, LayerKvCache cache, int start)
    {
        long count = x.shape[0];
        int group = _heads / _kvHeads;
        var t = _w.Norm.Forward(x);
        var q = _rope.Apply(_w.Q.Forward(t).view(count, _heads, _headDim), start);
        var k = _rope.Apply(_w.K.Forward(t).view(count, _kvHeads, _headDim), start);
        var v = _w.V.Forward(t).view(count, _kvHeads, _headDim);

        var (keys, values, keyPositions) = cache.Append(start, k, v);
        long visible = keys.shape[0];
        // Query head n uses kv head n / group: scores [kvHeads, group, T, S].
        var queries = q.view(count, _kvHeads, group, _headDim).permute(1, 2, 0, 3);
        var scores = torch.matmul(queries, keys.permute(1, 2, 0).unsqueeze(1)) * _smScale;

        var queryPositions = torch.arange(start, start + count, ScalarType.Int64, x.device).unsqueeze(1);
        var keyRow = keyPositions.unsqueeze(0);
        var allowed = (keyRow >= 0) & (keyRow <= queryPositions);
        if (_w.Window > 0)
            allowed &= (queryPositions - keyRow) < _w.Window;
        scores = scores.masked_fill(allowed.logical_not(), double.NegativeInfinity);

        // The sink adds exp(S_n) to the denominator only: an extra column, dropped after the softmax.
        var withSinks = torch.cat([scores, _sinks.expand(_kvHeads, group, count, 1)], -1);
        var weights = softmax(withSinks, -1, ScalarType.Float32).to(x.dtype).narrow(-1, 0, visible);
        var attended = torch.matmul(weights, values.permute(1, 0, 2).unsqueeze(1));   // [kvHeads, group, T, D]
        var merged = attended.permute(2, 0, 1, 3).reshape(count, _heads * _headDim);
        return x + _w.Output.Forward(merged);
    }
}
