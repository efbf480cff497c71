using GptOss.Engine.Kernels;

namespace GptOss.Engine.Forward;

/// <summary>
/// What every layer's <see cref="CpuAttentionBlock"/> shares: the kernels, the attention kernel and its score scratch, and
/// the float32 rows decoded tokens pass through, so decoding allocates nothing per token.
/// </summary>
/// <param name="attentionScratchFloats">See <see cref="SinkAttention"/>.</param>
internal sealed unsafe class CpuAttentionScratch(CpuKernels kernels, long attentionScratchFloats = SinkAttention.DefaultScratchFloats) : IDisposable
{
    private readonly NativeBuffer<float> _rows = new();
    private readonly NativeBuffer<float> _residual = new();

    public CpuKernels Kernels { get; } = kernels;

    public SinkAttention Attention { get; } = new(kernels, attentionScratchFloats);

    /// <summary>
    /// Row buffers for <paramref name="count"/> tokens, each [count, width] with the tokens' rows back to back (what the
    /// batched projections read and write): normed [hidden], q [heads·D], k and v [kvHeads·D], attended [heads·D],
    /// projected [hidden]; valid until the next call.
    /// </summary>
    public DecodeRows Rows(int count, int hidden, int queryWidth, int kvWidth)
    {
        // Each buffer starts on a 64-byte boundary.
        long Pad(int n) => ((long)count * n + 15) & ~15L;
        float* p = _rows.Get(2 * Pad(hidden) + 2 * Pad(queryWidth) + 2 * Pad(kvWidth));
        float* normed = p, projected = normed + Pad(hidden);
        float* q = projected + Pad(hidden), attended = q + Pad(queryWidth), k = attended + Pad(queryWidth), v = k + Pad(kvWidth);
        return new DecodeRows(normed, q, k, v, attended, projected);
    }

    /// <summary>A residual row [hidden] for a prompt's single row taking the decode path; valid until the next call.</summary>
    public float* Residual(int hidden) => _residual.Get(hidden);

    public void Dispose()
    {
        _rows.Dispose();
        _residual.Dispose();
        Attention.Dispose();
    }
}

/// <summary>The float32 rows of a batch of decoded tokens through an attention block ([count, width] each).</summary>
internal readonly unsafe struct DecodeRows(float* normed, float* q, float* k, float* v, float* attended, float* projected)
{
    public readonly float* Normed = normed, Q = q, K = k, V = v, Attended = attended, Projected = projected;
}
