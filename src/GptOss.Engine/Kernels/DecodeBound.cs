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
    public static long BytesPerToken(ModelShape m) => (long)Math.Round(BytesPerStep(m, 1));

    /// <summary>
    /// Weight bytes one decode step of <paramref name="sequences"/> sequences reads when each weight is read once for
    /// all of them: the dense weights once, plus every expert some sequence selects — on average
    /// E·(1 − (1 − k/E)^N) distinct experts per layer when each sequence picks its k of E independently and uniformly,
    /// as random weights route (real weights route more coherently, so they read fewer), and one embedding row per
    /// sequence. For one sequence: <see cref="BytesPerToken"/>.
    /// </summary>
    public static double BytesPerStep(ModelShape m, int sequences) =>
        PhaseBytesPerStep(m, sequences).Values.Sum() + (double)sequences * Bf16 * m.Hidden;

    /// <summary>
    /// <see cref="BytesPerStep"/> by the phase that reads them (<see cref="DecodePhases"/>), without the sequences'
    /// embedding rows. Attention over the cache reads only its per-head sinks, counted with o so that every phase here
    /// is a weight stream.
    /// </summary>
    public static IReadOnlyDictionary<string, double> PhaseBytesPerStep(ModelShape m, int sequences)
    {
        ArgumentNullException.ThrowIfNull(m);
        ArgumentOutOfRangeException.ThrowIfLessThan(sequences, 1);
        long q = (long)m.QueryHeads * m.HeadDim, kv = (long)m.KvHeads * m.HeadDim, h = m.Hidden, i = m.Intermediate;
        long gateUp = 2 * i * (h / 32) * 17 + Bf16 * 2 * i;
        long down = h * (i / 32) * 17 + Bf16 * h;
        double distinctExperts = sequences == 1 ? m.ExpertsPerToken
            : m.Experts * (1 - Math.Pow(1 - (double)m.ExpertsPerToken / m.Experts, sequences));
        return new Dictionary<string, double>
        {
            [DecodePhases.Qkv] = m.Layers * Bf16 * ((q + 2 * kv) * h + (q + 2 * kv)),
            [DecodePhases.Output] = m.Layers * Bf16 * (h * q + h + m.QueryHeads),
            [DecodePhases.Router] = m.Layers * Bf16 * (2 * h + m.Experts * h + m.Experts),
            [DecodePhases.Experts] = m.Layers * distinctExperts * (gateUp + down),
            [DecodePhases.Unembedding] = Bf16 * h + Bf16 * m.Vocab * h,
        };
    }

    /// <summary>The decode tokens/s ceiling at a measured read bandwidth.</summary>
    public static double TokensPerSecond(ModelShape m, double readBytesPerSecond) => readBytesPerSecond / BytesPerToken(m);

    /// <summary>The ceiling of all <paramref name="sequences"/> sequences' tokens/s together (<see cref="BytesPerStep"/>).</summary>
    public static double AggregateTokensPerSecond(ModelShape m, int sequences, double readBytesPerSecond) =>
        sequences * readBytesPerSecond / BytesPerStep(m, sequences);
}
