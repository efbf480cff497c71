using GptOss.Engine.Checkpoints;
using GptOss.Engine.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace GptOss.Engine.Forward;

/// <summary>
/// The reference math on tensors, on the weights' device: masked attention over the cache, experts dequantized by
/// tensor lookups. Decoding is a prefill of one token.
/// </summary>
internal sealed class TensorForwardPass : IForwardPass
{
    private readonly ModelWeights _weights;
    private readonly TensorAttentionBlock[] _attention;
    private readonly TensorMoeBlock[] _moe;

    public TensorForwardPass(ModelWeights weights, RotaryEmbedding rope)
    {
        _weights = weights;
        var mxfp4 = new Mxfp4(weights.Device);
        _attention = weights.Layers.Select(l => new TensorAttentionBlock(l.Attention, rope, weights.Config)).ToArray();
        _moe = weights.Layers.Select(l => new TensorMoeBlock(l.Moe, new DequantizingMoeExperts(l.Moe.Experts, mxfp4), weights.Config.NumExpertsPerTok)).ToArray();
    }

    public Tensor Prefill(IReadOnlyList<int> tokens, int start, KvCache cache, bool allPositions)
    {
        var x = _weights.Embed(tokens);
        for (int l = 0; l < _attention.Length; l++)
        {
            // A layer's temporaries (attention scores, expert activations: hundreds of MB for a long prompt) are freed
            // when it ends, not when the whole pass does.
            using var layerScope = torch.NewDisposeScope();
            x = _attention[l].Forward(x, cache.Layers[l], start);
            x = _moe[l].Forward(x).MoveToOuterDisposeScope();
        }
        if (!allPositions)
            x = x.narrow(0, tokens.Count - 1, 1);
        return _weights.Unembedding.Forward(_weights.FinalNorm.Forward(x)).to(ScalarType.Float32);
    }

    public unsafe void DecodeOne(int token, int position, KvCache cache, Span<float> logits)
    {
        using var scope = torch.NewDisposeScope();
        using var values = Prefill([token], position, cache, allPositions: false).cpu().contiguous();
        new ReadOnlySpan<float>(MappedTensor.Data(values), logits.Length).CopyTo(logits);
    }

    /// <summary>Holds no native memory of its own: its weights and tables are tensors.</summary>
    public void Dispose() { }
}
