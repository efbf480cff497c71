using GptOss.Engine.Checkpoints;
using GptOss.Engine.Kernels;
using GptOss.Engine.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace GptOss.Engine.Forward;

/// <summary>
/// The forward pass on the CPU kernels, over weights in CPU memory. A decoded token never touches a tensor: its
/// residual is one float32 row that every block updates in place, and its logits go straight into the caller's
/// buffer; several sequences' tokens decode together as rows of one batch. A prompt runs libtorch's GEMMs for the
/// dense projections and the CPU kernels for attention and experts.
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
    private LayerKvCache[] _layerCaches = [];   // one step's caches of a layer, reused

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

    public void DecodeOne(int token, int position, KvCache cache, Span<float> logits) => DecodeBatch([token], [position], [cache], logits);

    /// <summary>
    /// One token for each sequence with one pass over the weights: the residual rows [N, H] go through every block
    /// together (projections and experts read each weight row once for all of them, attention runs per sequence over
    /// its own cache). Row i of the logits is what <see cref="DecodeOne"/> gives for sequence i alone, to the bit.
    /// </summary>
    public void DecodeBatch(ReadOnlySpan<int> tokens, ReadOnlySpan<int> positions, IReadOnlyList<KvCache> caches, Span<float> logits)
    {
        int count = tokens.Length, hidden = _weights.Config.HiddenSize, vocabulary = _unembedding.Rows;
        CheckBatch(count, positions.Length, caches, logits.Length, vocabulary);
        float* residuals = _residual.Get((long)count * hidden);
        for (int i = 0; i < count; i++)
        {
            if ((uint)tokens[i] >= (uint)_weights.Config.VocabSize)
                throw new ArgumentOutOfRangeException(nameof(tokens), tokens[i], $"token of sequence {i} is outside the vocabulary [0, {_weights.Config.VocabSize})");
            ActivationRow.Read((byte*)MappedTensor.Data(_weights.Embedding) + (long)tokens[i] * hidden * sizeof(ushort), residuals + (long)i * hidden, hidden, bf16: true);
        }
        GC.KeepAlive(_weights.Embedding);
        if (_layerCaches.Length < count) _layerCaches = new LayerKvCache[count];
        var layerCaches = _layerCaches.AsSpan(0, count);
        for (int l = 0; l < _attention.Length; l++)
        {
            for (int i = 0; i < count; i++) layerCaches[i] = caches[i].Layers[l];
            _attention[l].Decode(residuals, layerCaches, positions);
            _moe[l].Decode(residuals, count, _bf16);
        }
        long phase = DecodePhases.Start();
        // The final norm as rows too: a tensor norm is eight libtorch calls per token.
        for (int i = 0; i < count; i++) _weights.FinalNorm.Forward(residuals + (long)i * hidden, residuals + (long)i * hidden, hidden, _bf16);
        fixed (float* y = logits) Logits(residuals, y, count);
        DecodePhases.End(DecodePhases.Unembedding, ref phase);
    }

    /// <summary>One position, cache and logits row per token; no cache twice (a sequence advances one token per step).</summary>
    private static void CheckBatch(int count, int positions, IReadOnlyList<KvCache> caches, int logits, int vocabulary)
    {
        if (count == 0 || positions != count || caches.Count != count)
            throw new ArgumentException($"a batch needs one position and one cache per token (got {count} tokens, {positions} positions, {caches.Count} caches)");
        if (logits != (long)count * vocabulary)
            throw new ArgumentException($"logits hold {logits} values, not {count} rows of the vocabulary {vocabulary}", nameof(logits));
        for (int i = 1; i < count; i++)
            for (int j = 0; j < i; j++)
                if (ReferenceEquals(caches[i], caches[j]))
                    throw new ArgumentException($"sequences {j} and {i} of the batch share one KV cache", nameof(caches));
    }

    /// <summary>
    /// Normed float32 rows' logits ([count, V]) through the GEMV/small-GEMM kernel, rounded to what a BF16 projection stores in the BF16
    /// mode. Rounded here, not by a tensor cast: libtorch's parallel casts of 201088 logits woke its OpenMP threads every
    /// decoded token, which then spun on the cores the kernels need.
    /// </summary>
    private void Logits(float* normed, float* logits, int count = 1)
    {
        _unembedding.Apply(normed, logits, count);
        ActivationRow.Round(logits, count * _unembedding.Rows, _bf16);
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
