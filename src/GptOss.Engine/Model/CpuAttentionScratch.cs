using GptOss.Engine.Kernels;

namespace GptOss.Engine.Model;

/// <summary>
/// What every layer's <see cref="CpuAttention"/> shares: the kernels, the attention kernel and its score scratch, and
/// the float32 rows one decoded token passes through, so decoding allocates nothing per token.
/// </summary>
internal sealed unsafe class CpuAttentionScratch(CpuKernels kernels) : IDisposable
{
    private readonly NativeBuffer<float> _rows = new();

    public CpuKernels Kernels { get; } = kernels;

    public SinkAttention Attention { get; } = new(kernels);

    /// <summary>
    /// Row buffers for one token: residual and normed [hidden], q [heads·D], k and v [kvHeads·D], attended [heads·D],
    /// projected [hidden]; valid until the next call.
    /// </summary>
    public DecodeRows Rows(int hidden, int queryWidth, int kvWidth)
    {
        // Each row starts on a 64-byte boundary.
        static long Pad(int n) => (n + 15) & ~15L;
        float* p = _rows.Get(3 * Pad(hidden) + 2 * Pad(queryWidth) + 2 * Pad(kvWidth));
        float* residual = p, normed = residual + Pad(hidden), projected = normed + Pad(hidden);
        float* q = projected + Pad(hidden), attended = q + Pad(queryWidth), k = attended + Pad(queryWidth), v = k + Pad(kvWidth);
        return new DecodeRows(residual, normed, q, k, v, attended, projected);
    }

    public void Dispose()
    {
        _rows.Dispose();
        Attention.Dispose();
    }
}

/// <summary>The float32 rows of one decoded token through an attention block.</summary>
internal readonly unsafe struct DecodeRows(float* residual, float* normed, float* q, float* k, float* v, float* attended, float* projected)
{
    public readonly float* Residual = residual, Normed = normed, Q = q, K = k, V = v, Attended = attended, Projected = projected;
}
