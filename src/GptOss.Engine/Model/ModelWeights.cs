using GptOss.Engine.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace GptOss.Engine.Model;

/// <summary>
/// Every parameter of a gpt-oss checkpoint, placed on the model's device in the activation dtype (norm gains in
/// float32, the embedding and packed experts as stored). What each forward pass builds its blocks over.
/// </summary>
internal sealed class ModelWeights
{
    public required ModelConfig Config { get; init; }
    public required ScalarType ActivationType { get; init; }
    public required Device Device { get; init; }
    public required Tensor Embedding { get; init; }   // BF16 [V, H]
    public required IReadOnlyList<LayerWeights> Layers { get; init; }
    public required RmsNorm FinalNorm { get; init; }
    public required Linear Unembedding { get; init; }   // [V, H], no bias

    public static ModelWeights Load(Checkpoint checkpoint, ScalarType activationType, Device device)
    {
        var w = new WeightLoader(checkpoint, device, activationType);
        var c = checkpoint.Config;
        long v = c.VocabSize, h = c.HiddenSize;
        return new ModelWeights
        {
            Config = c,
            ActivationType = activationType,
            Device = device,
            Embedding = w.Bf16(w.Names.Embedding, v, h),
            Layers = Enumerable.Range(0, c.NumHiddenLayers).Select(l => new LayerWeights(AttentionWeights.Load(w, l), MoeWeights.Load(w, l))).ToArray(),
            FinalNorm = new RmsNorm(w.Float32(w.Names.FinalNorm, h), c.RmsNormEps),
            Unembedding = new Linear(w.Dense(w.Names.Unembedding, v, h), null),
        };
    }

    /// <summary>The embedding rows of <paramref name="tokens"/> [T, H] in the activation dtype.</summary>
    public Tensor Embed(IReadOnlyList<int> tokens) =>
        // One token's row is copied out directly, sparing libtorch's gather.
        tokens.Count == 1
            ? Embedding.narrow(0, tokens[0], 1).to(ActivationType, copy: true)
            : Embedding.index_select(0, torch.tensor(tokens.Select(t => (long)t).ToArray(), device: Device)).to(ActivationType);

    /// <summary>An empty KV cache for <paramref name="contextLength"/> positions; sliding layers keep their window plus <paramref name="slidingRollback"/>.</summary>
    public KvCache NewCache(int contextLength, int slidingRollback) => new(Layers.Select(l => new LayerKvCache(
        l.Attention.Window == 0 ? contextLength : Math.Min(contextLength, l.Attention.Window + slidingRollback),
        l.Attention.Window, Config.NumKeyValueHeads, Config.HeadDim, ActivationType, Device)).ToArray());
}

/// <summary>One transformer layer's parameters.</summary>
internal sealed record LayerWeights(AttentionWeights Attention, MoeWeights Moe);

/// <summary>An attention layer: pre-norm, biased q/k/v/o, per-head sinks (activation dtype [Q]), the sliding window (0 = full).</summary>
internal sealed record AttentionWeights(RmsNorm Norm, Linear Q, Linear K, Linear V, Linear Output, Tensor Sinks, int Window)
{
    public static AttentionWeights Load(WeightLoader w, int layer)
    {
        var c = w.Checkpoint.Config;
        var n = w.Names;
        long h = c.HiddenSize, qd = (long)c.NumAttentionHeads * c.HeadDim, kd = (long)c.NumKeyValueHeads * c.HeadDim;
        var norm = new RmsNorm(w.Float32(n.AttentionNorm(layer), h), c.RmsNormEps);
        Linear q, k, v;
        if (w.Checkpoint.Layout == CheckpointLayout.Original)
        {
            // q, k and v are stacked by rows: [0, QD) q, [QD, QD+KD) k, the rest v.
            var qkvWeight = w.Dense(n.FusedQkv(layer, "weight"), qd + 2 * kd, h);
            var qkvBias = w.Dense(n.FusedQkv(layer, "bias"), qd + 2 * kd);
            q = new Linear(WeightLoader.Rows(qkvWeight, 0, qd), WeightLoader.Rows(qkvBias, 0, qd));
            k = new Linear(WeightLoader.Rows(qkvWeight, qd, kd), WeightLoader.Rows(qkvBias, qd, kd));
            v = new Linear(WeightLoader.Rows(qkvWeight, qd + kd, kd), WeightLoader.Rows(qkvBias, qd + kd, kd));
            qkvWeight.Dispose();   // the row views keep the storage
            qkvBias.Dispose();
        }
        else
        {
            q = new Linear(w.Dense(n.Projection(layer, 'q', "weight"), qd, h), w.Dense(n.Projection(layer, 'q', "bias"), qd));
            k = new Linear(w.Dense(n.Projection(layer, 'k', "weight"), kd, h), w.Dense(n.Projection(layer, 'k', "bias"), kd));
            v = new Linear(w.Dense(n.Projection(layer, 'v', "weight"), kd, h), w.Dense(n.Projection(layer, 'v', "bias"), kd));
        }
        var output = new Linear(w.Dense(n.Output(layer, "weight"), h, qd), w.Dense(n.Output(layer, "bias"), h));
        return new AttentionWeights(norm, q, k, v, output, w.Dense(n.Sinks(layer), c.NumAttentionHeads), c.SlidingLayers[layer] ? c.SlidingWindow : 0);
    }
}

/// <summary>A MoE layer: pre-norm, the biased router, the packed experts.</summary>
internal sealed record MoeWeights(RmsNorm Norm, Linear Router, MoeExpertWeights Experts)
{
    public static MoeWeights Load(WeightLoader w, int layer)
    {
        var c = w.Checkpoint.Config;
        var n = w.Names;
        long h = c.HiddenSize, e = c.NumLocalExperts, i = c.IntermediateSize;
        var experts = new MoeExpertWeights(
            GateUpBlocks: w.Packed(n.GateUpBlocks(layer), e, 2 * i, h / 32, 16),
            GateUpScales: w.Packed(n.GateUpScales(layer), e, 2 * i, h / 32),
            GateUpBias: w.Dense(n.GateUpBias(layer), e, 2 * i),
            DownBlocks: w.Packed(n.DownBlocks(layer), e, h, i / 32, 16),
            DownScales: w.Packed(n.DownScales(layer), e, h, i / 32),
            DownBias: w.Dense(n.DownBias(layer), e, h),
            SwigluLimit: c.SwigluLimit);
        return new MoeWeights(new RmsNorm(w.Float32(n.MlpNorm(layer), h), c.RmsNormEps),
            new Linear(w.Dense(n.Router(layer, "weight"), e, h), w.Dense(n.Router(layer, "bias"), e)), experts);
    }
}
