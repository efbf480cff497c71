using GptOss.Engine.Checkpoints;
using GptOss.Engine.Kernels;
using GptOss.Engine.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace GptOss.Engine.Forward;

/// <summary>
/// The forward pass on the CPU kernels, over weights in CPU memory. A decoded token never touches a tensor: its
/// residual is one float32 row that every block updates in place, and its logits go straight into the caller's
/// buffer. A prompt runs libtorch's GEMMs for the dense projections and the CPU kernels for attention and experts.
/// </summary>
internal sealed unsafe class CpuForwardPass : IForwardPass
{
    private readonly ModelWeights _weights;
    private readonly KernelThreadPool _pool;
    private readonly CpuKernels _kernels;
    private readonly CpuAttentionScratch _attentionScratch;
    private readonly CpuExpertScratch _expertScratch;
    private readonly CpuAttentionBlock[] _attention;
    private readonly CpuMoeBlock[] _moe;
    private readonly RowProjection _unembedding;
    private readonly NativeBuffer<float> _residual = new();
    private readonly bool _bf16;

    /// <param name="threads">Threads the CPU kernels use (0 = every processor).</param>
    public CpuForwardPass(ModelWeights weights, RotaryEmbedding rope, int threads)
    {
        _weights = weights;
        _bf16 = weights.ActivationType == ScalarType.BFloat16;
        _pool = new KernelThreadPool(threads);
        // BF16 activations carry 8 mantissa bits: the experts' 16-bit integer activations lose nothing that matters.
        _kernels = new CpuKernels(_pool, mxfp4Activations: _bf16 ? Mxfp4Activations.Int16 : Mxfp4Activations.Float32);
        _attentionScratch = new CpuAttentionScratch(_kernels);
        _expertScratch = new CpuExpertScratch(_kernels);
        var c = weights.Config;
        _attention = weights.Layers.Select(l => new CpuAttentionBlock(l.Attention, rope, c, weights.ActivationType, _attentionScratch)).ToArray();
        _moe = weights.Layers.Select(l => new CpuMoeBlock(l.Moe, _expertScratch, c)).ToArray();
        _unembedding = new RowProjection(weights.Unembedding, _kernels);
    }

    public Tensor Prefill(IReadOnlyList<int> tokens, int start, KvCache cache, bool allPositions)
    {
        var x = _weights.Embed(tokens);
        for (int l = 0; l < _attention.Length; l++)
        {
            // A layer's temporaries (attention scores, expert activations: hundreds of MB for a long prompt) are freed
            // when it ends, not when the whole pass does.
            using var layerScope = torch.NewDisposeScope();
            x = _attention[l].Prefill(x, cache.Layers[l], start);
            x = _moe[l].Prefill(x).MoveToOuterDisposeScope();
        }
        if (allPositions && x.shape[0] > 1)
            return _unembedding.Linear.Forward(_weights.FinalNorm.Forward(x)).to(ScalarType.Float32);
        var last = _weights.FinalNorm.Forward(x.narrow(0, x.shape[0] - 1, 1)).to(ScalarType.Float32).contiguous();
        var logits = torch.empty([1, _unembedding.Rows], ScalarType.Float32);
        Logits((float*)MappedTensor.Data(last), (float*)MappedTensor.Data(logits));
        GC.KeepAlive(last);
        return logits;
    }

    public void DecodeOne(int token, int position, KvCache cache, Span<float> logits)
    {
        int hidden = _weights.Config.HiddenSize;
        if (logits.Length != _unembedding.Rows)
            throw new ArgumentException($"logits hold {logits.Length} values, the vocabulary {_unembedding.Rows}", nameof(logits));
        float* residual = _residual.Get(hidden);
        ActivationRow.Read((byte*)MappedTensor.Data(_weights.Embedding) + (long)token * hidden * sizeof(ushort), residual, hidden, bf16: true);
        GC.KeepAlive(_weights.Embedding);
        for (int l = 0; l < _attention.Length; l++)
        {
            _attention[l].Decode(residual, cache.Layers[l], position);
            _moe[l].Decode(residual, _bf16);
        }
        // The final norm as a row too: a tensor norm is eight libtorch calls per token.
        _weights.FinalNorm.Forward(residual, residual, hidden, _bf16);
        fixed (float* y = logits) Logits(residual, y);
    }

    /// <summary>
    /// One normed float32 row's logits through the GEMV kernel, rounded to what a BF16 projection stores in the BF16
    /// mode. Rounded here, not by a tensor cast: libtorch's parallel casts of 201088 logits woke its OpenMP threads every
    /// decoded token, which then spun on the cores the kernels need.
    /// </summary>
    private void Logits(float* normed, float* logits)
    {
        _unembedding.Apply(normed, logits);
        ActivationRow.Round(logits, _unembedding.Rows, _bf16);
    }

    public void Dispose()
    {
        _attentionScratch.Dispose();
        _expertScratch.Dispose();
        _residual.Dispose();
        _kernels.Dispose();
        _pool.Dispose();
    }
}
