namespace GptOss.Engine.Kernels;

/// <summary>The config numbers that decide how many weight bytes one decoded token reads.</summary>
public sealed record ModelShape(
    int Layers, int Hidden, int QueryHeads, int KvHeads, int HeadDim,
    int Experts, int ExpertsPerToken, int Intermediate, int Vocab);

/// <summary>
/// The physical decode limit: each decoded token streams every weight it touches from memory
/// once, so tokens/s ≤ read bandwidth / bytes touched per token.
/// </summary>
public static class DecodeBound
{
    private const long Bf16 = 2;

    /// <summary>
    /// Weight bytes read per decoded token: per layer the two norm gains, attention q/k/v/o BF16
    /// weights and biases and sinks, the router, and the top-k experts' MXFP4 blocks and scales
    /// (17 bytes per 32 weights) with their biases; once per token the embedding row, the final
    /// norm and the BF16 unembedding.
    /// </summary>
    public static long BytesPerToken(ModelShape m)
    {
        ArgumentNullException.ThrowIfNull(m);
        long q = (long)m.QueryHeads * m.HeadDim, kv = (long)m.KvHeads * m.HeadDim, h = m.Hidden, i = m.Intermediate;
        long attention = Bf16 * ((q + 2 * kv) * h + (q + 2 * kv) + h * q + h + m.QueryHeads);
        long norms = Bf16 * 2 * h;
        long router = Bf16 * (m.Experts * h + m.Experts);
        long gateUp = 2 * i * (h / 32) * 17 + Bf16 * 2 * i;
        long down = h * (i / 32) * 17 + Bf16 * h;
        long perLayer = attention + norms + router + m.ExpertsPerToken * (gateUp + down);
        long once = Bf16 * h + Bf16 * h + Bf16 * m.Vocab * h;
        return m.Layers * perLayer + once;
    }

    /// <summary>The decode tokens/s ceiling at a measured read bandwidth.</summary>
    public static double TokensPerSecond(ModelShape m, double readBytesPerSecond) => readBytesPerSecond / BytesPerToken(m);
}
