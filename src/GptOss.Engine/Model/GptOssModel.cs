using GptOss.Engine.Checkpoints;
using GptOss.Engine.Kernels;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn.functional;

namespace GptOss.Engine.Model;

/// <summary>
/// The gpt-oss transformer: embedding, L × (attention, MoE) pre-norm residual blocks, final norm, unembedding.
/// Runs in the activation dtype it was loaded with, on the device it was loaded to.
/// </summary>
internal sealed class GptOssModel : IDisposable
{
    private readonly Tensor _embedding;     // BF16 [V, H]
    private readonly AttentionBlock[] _attention;
    private readonly MoeBlock[] _moe;
    private readonly RmsNorm _finalNorm;
    private readonly Linear _unembedding;   // [V, H], activation dtype

    public ModelConfig Config { get; }
    public ScalarType ActivationType { get; }
    public Device Device { get; }
    public int ContextLength { get; }

    private readonly int _slidingRollback;
    private readonly KernelThreadPool? _pool;   // the CPU kernels' threads
    private readonly CpuAttentionScratch? _attentionScratch;
    private readonly NativeBuffer<float> _decodeRow = new();

    /// <param name="threads">Threads the CPU kernels use (0 = every processor).</param>
    public GptOssModel(Checkpoint checkpoint, ScalarType activationType, Device device, int contextLength, int slidingRollback, int threads)
    {
        _slidingRollback = slidingRollback;
        var c = Config = checkpoint.Config;
        ActivationType = activationType;
        Device = device;
        ContextLength = contextLength;
        long v = c.VocabSize, h = c.HiddenSize;
        var rope = new RotaryEmbedding(c, contextLength, device);
        Func<MoeExpertWeights, IMoeExperts> experts;
        CpuKernels? kernels = null;
        CpuAttentionScratch? attention = null;
        if (device.type == DeviceType.CPU)
        {
            _pool = new KernelThreadPool(threads);
            // BF16 activations carry 8 mantissa bits: the experts' 16-bit integer activations lose nothing that matters.
            var activations = activationType == ScalarType.BFloat16 ? Mxfp4Activations.Int16 : Mxfp4Activations.Float32;
            var scratch = new CpuExpertScratch(kernels = new CpuKernels(_pool, mxfp4Activations: activations));
            _attentionScratch = attention = new CpuAttentionScratch(kernels);
            experts = weights => new CpuMoeExperts(weights, scratch);
        }
        else
        {
            var mxfp4 = new Mxfp4(device);
            experts = weights => new DequantizingMoeExperts(weights, mxfp4);
        }
        var w = new WeightLoader(checkpoint, device, activationType, kernels);
        _embedding = w.Bf16(w.Names.Embedding, v, h);
        _attention = new AttentionBlock[c.NumHiddenLayers];
        _moe = new MoeBlock[c.NumHiddenLayers];
        for (int l = 0; l < c.NumHiddenLayers; l++)
        {
            _attention[l] = new AttentionBlock(w, l, rope, attention);
            _moe[l] = new MoeBlock(w, l, experts);
        }
        _finalNorm = new RmsNorm(w.Float32(w.Names.FinalNorm, h), c.RmsNormEps);
        _unembedding = w.Linear(w.Dense(w.Names.Unembedding, v, h));
    }

    public KvCache NewCache() => new(_attention.Select(a => new LayerKvCache(
        a.Window == 0 ? ContextLength : Math.Min(ContextLength, a.Window + _slidingRollback),
        a.Window, Config.NumKeyValueHeads, Config.HeadDim, ActivationType, Device)).ToArray());

    /// <summary>
    /// Runs <paramref name="tokens"/> at positions <c>start..</c> (keys before <c>start</c> come from the cache, which
    /// also receives the new ones) and returns float32 logits [T, V], or [1, V] for the last row only.
    /// </summary>
    public Tensor Forward(IReadOnlyList<int> tokens, int start, KvCache cache, bool allPositions, bool decode)
    {
        // One token's row is copied out directly: libtorch's gather took ~0.2 ms of each decoded token.
        var x = tokens.Count == 1
            ? _embedding.narrow(0, tokens[0], 1).to(ActivationType, copy: true)
            : _embedding.index_select(0, torch.tensor(tokens.Select(t => (long)t).ToArray(), device: Device)).to(ActivationType);
        for (int l = 0; l < _attention.Length; l++)
        {
            // A layer's temporaries (attention scores, expert activations: hundreds of MB for a long prompt) are freed
            // when it ends, not when the whole pass does.
            using var layerScope = torch.NewDisposeScope();
            x = _attention[l].Forward(x, cache.Layers[l], start);
            x = _moe[l].Forward(x, decode).MoveToOuterDisposeScope();
        }
        if (!allPositions)
            x = x.narrow(0, tokens.Count - 1, 1);
        return decode && _unembedding.HasKernel ? DecodedLogits(x) : _unembedding.ForwardFloat32(_finalNorm.Forward(x));
    }

    /// <summary>
    /// A decoded row's float32 logits [1, V] on the CPU kernels: normed as a float32 row (the layers' decode norms), then
    /// <see cref="Linear.ForwardFloat32(float*, bool)"/>; the tensor norm's eight libtorch ops took ~0.3 ms per token.
    /// </summary>
    private unsafe Tensor DecodedLogits(Tensor x)
    {
        bool bf16 = x.dtype == ScalarType.BFloat16;
        int hidden = Config.HiddenSize;
        float* row = _decodeRow.Get(hidden);
        var input = x.contiguous();
        ActivationRow.Read(MappedTensor.Data(input), row, hidden, bf16);
        GC.KeepAlive(input);
        _finalNorm.Forward(row, row, hidden, bf16);
        return _unembedding.ForwardFloat32(row, bf16);
    }

    public void Dispose()
    {
        _attentionScratch?.Dispose();
        _decodeRow.Dispose();
        _pool?.Dispose();
    }
}
