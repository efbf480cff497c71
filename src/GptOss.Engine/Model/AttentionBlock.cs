using GptOss.Engine.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn.functional;

namespace GptOss.Engine.Model;

/// <summary>
/// Pre-norm attention with biased q/k/v/o, grouped-query heads, learned sinks (an extra softmax column without a
/// value), YaRN RoPE and, on sliding layers, a window of <c>W</c> keys including the current one. On the CPU the math runs
/// in <see cref="CpuAttention"/>; the tensor path below serves other devices (and is what the CPU path is tested against).
/// </summary>
internal sealed class AttentionBlock
{
    private readonly RmsNorm _norm;
    private readonly Linear _q, _k, _v, _out;
    private readonly Tensor _sinks;   // [kvHeads, queriesPerKv, 1, 1]
    private readonly RotaryEmbedding _rope;
    private readonly int _heads, _kvHeads, _headDim;
    private readonly double _smScale;
    private readonly CpuAttention? _cpu;

    /// <summary>Keys visible per query on this layer; 0 = the whole causal prefix.</summary>
    public int Window { get; }

    /// <param name="cpu">The CPU attention's shared scratch; null = the tensor path.</param>
    public AttentionBlock(WeightLoader w, int layer, RotaryEmbedding rope, CpuAttentionScratch? cpu)
    {
        var c = w.Checkpoint.Config;
        var n = w.Names;
        _heads = c.NumAttentionHeads;
        _kvHeads = c.NumKeyValueHeads;
        _headDim = c.HeadDim;
        long h = c.HiddenSize, qd = (long)_heads * _headDim, kd = (long)_kvHeads * _headDim;
        _smScale = 1.0 / Math.Sqrt(_headDim);
        _rope = rope;
        Window = c.SlidingLayers[layer] ? c.SlidingWindow : 0;
        _norm = new RmsNorm(w.Float32(n.AttentionNorm(layer), h), c.RmsNormEps);
        if (w.Checkpoint.Layout == CheckpointLayout.Original)
        {
            // q, k and v are stacked by rows: [0, QD) q, [QD, QD+KD) k, the rest v.
            var qkvWeight = w.Dense(n.FusedQkv(layer, "weight"), qd + 2 * kd, h);
            var qkvBias = w.Dense(n.FusedQkv(layer, "bias"), qd + 2 * kd);
            _q = w.Linear(WeightLoader.Rows(qkvWeight, 0, qd), WeightLoader.Rows(qkvBias, 0, qd));
            _k = w.Linear(WeightLoader.Rows(qkvWeight, qd, kd), WeightLoader.Rows(qkvBias, qd, kd));
            _v = w.Linear(WeightLoader.Rows(qkvWeight, qd + kd, kd), WeightLoader.Rows(qkvBias, qd + kd, kd));
            qkvWeight.Dispose();   // the row views keep the storage
            qkvBias.Dispose();
        }
        else
        {
            _q = w.Linear(w.Dense(n.Projection(layer, 'q', "weight"), qd, h), w.Dense(n.Projection(layer, 'q', "bias"), qd));
            _k = w.Linear(w.Dense(n.Projection(layer, 'k', "weight"), kd, h), w.Dense(n.Projection(layer, 'k', "bias"), kd));
            _v = w.Linear(w.Dense(n.Projection(layer, 'v', "weight"), kd, h), w.Dense(n.Projection(layer, 'v', "bias"), kd));
        }
        _out = w.Linear(w.Dense(n.Output(layer, "weight"), h, qd), w.Dense(n.Output(layer, "bias"), h));
        using var sinks = w.Dense(n.Sinks(layer), _heads);
        _sinks = sinks.view(_kvHeads, _heads / _kvHeads, 1, 1).DetachFromDisposeScope();
        if (cpu is not null && CpuAttention.Supports(_q, _k, _v, _out))
            _cpu = new CpuAttention(_norm, _q, _k, _v, _out, rope, sinks, _heads, _kvHeads, _headDim, Window, (int)h, w.ActivationType, cpu);
    }

    /// <summary><c>x + Attn(RMSNorm(x))</c> for rows of <paramref name="x"/> [T, H] at positions start..start+T-1.</summary>
    public Tensor Forward(Tensor x, LayerKvCache cache, int start)
    {
        if (_cpu is not null) return _cpu.Forward(x, cache, start);
        long count = x.shape[0];
        int group = _heads / _kvHeads;
        var t = _norm.Forward(x);
        var q = _rope.Apply(_q.Forward(t).view(count, _heads, _headDim), start);
        var k = _rope.Apply(_k.Forward(t).view(count, _kvHeads, _headDim), start);
        var v = _v.Forward(t).view(count, _kvHeads, _headDim);

        var (keys, values, keyPositions) = cache.Append(start, k, v);
        long visible = keys.shape[0];
        // Query head n uses kv head n / group: scores [kvHeads, group, T, S].
        var queries = q.view(count, _kvHeads, group, _headDim).permute(1, 2, 0, 3);
        var scores = torch.matmul(queries, keys.permute(1, 2, 0).unsqueeze(1)) * _smScale;

        var queryPositions = torch.arange(start, start + count, ScalarType.Int64, x.device).unsqueeze(1);
        var keyRow = keyPositions.unsqueeze(0);
        var allowed = (keyRow >= 0) & (keyRow <= queryPositions);
        if (Window > 0)
            allowed &= (queryPositions - keyRow) < Window;
        scores = scores.masked_fill(allowed.logical_not(), double.NegativeInfinity);

        // The sink adds exp(S_n) to the denominator only: an extra column, dropped after the softmax.
        var withSinks = torch.cat([scores, _sinks.expand(_kvHeads, group, count, 1)], -1);
        var weights = softmax(withSinks, -1, ScalarType.Float32).to(x.dtype).narrow(-1, 0, visible);
        var attended = torch.matmul(weights, values.permute(1, 0, 2).unsqueeze(1));   // [kvHeads, group, T, D]
        var merged = attended.permute(2, 0, 1, 3).reshape(count, _heads * _headDim);
        return x + _out.Forward(merged);
    }
}
