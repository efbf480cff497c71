using GptOss.Generation;
namespace GptOss.Engine.Generation;

/// <summary>
/// Picks the next token from float32 logits: greedy at temperature 0 (ties → lower id), else softmax at the
/// temperature, restricted to the smallest set of most likely tokens whose mass reaches top-p. Seeded → reproducible.
/// Top-p sorts only candidates above a probability threshold that is lowered until they hold the mass, not the whole
/// vocabulary; buffers are reused across tokens.
/// </summary>
internal sealed class TokenSampler(GenerationOptions options)
{
    private readonly Random _random = options.Seed is { } seed ? new Random(unchecked((int)(seed ^ (seed >> 32)))) : new Random();
    private double[] _probabilities = [];
    private readonly List<int> _candidates = [];

    public int Sample(ReadOnlySpan<float> logits)
    {
        if (options.Temperature <= 0)
            return ArgMax(logits);
        float max = logits[ArgMax(logits)];
        if (_probabilities.Length != logits.Length) _probabilities = new double[logits.Length];
        var probabilities = _probabilities;
        double total = 0;
        for (int i = 0; i < logits.Length; i++)
            total += probabilities[i] = Math.Exp((logits[i] - max) / options.Temperature);

        if (options.TopP < 1)
        {
            var order = Candidates(probabilities, options.TopP * total);
            double kept = 0;
            int count = 0;
            while (count < order.Count && (count == 0 || kept < options.TopP * total))
                kept += probabilities[order[count++]];
            double target = _random.NextDouble() * kept;
            for (int j = 0; j < count; j++)
                if ((target -= probabilities[order[j]]) < 0) return order[j];
            return order[count - 1];
        }

        double u = _random.NextDouble() * total;
        for (int i = 0; i < probabilities.Length; i++)
            if ((u -= probabilities[i]) < 0) return i;
        return ArgMax(logits);
    }

    /// <summary>
    /// Token ids by probability (descending, ties → lower id), at least as many as reach <paramref name="mass"/>. Every
    /// token at or above a threshold is a prefix of the full order, so sorting just those gives the same top-p set.
    /// </summary>
    private List<int> Candidates(double[] probabilities, double mass)
    {
        // The largest probability is exp(0) = 1; lower the threshold by 2^-8 steps until the candidates hold the mass.
        for (double threshold = 1.0 / 256; ; threshold /= 256)
        {
            _candidates.Clear();
            double held = 0;
            for (int i = 0; i < probabilities.Length; i++)
                if (probabilities[i] >= threshold)
                {
                    _candidates.Add(i);
                    held += probabilities[i];
                }
            // A margin over the mass, so the walk in sorted order (other summation order) also reaches it within them.
            if (held >= mass * (1 + 1e-9) || threshold == 0 || _candidates.Count == probabilities.Length)
                break;
            if (threshold < double.Epsilon * 256) threshold = 0;   // the next pass takes everything
        }
        _candidates.Sort((a, b) => probabilities[b] != probabilities[a] ? probabilities[b].CompareTo(probabilities[a]) : a.CompareTo(b));
        return _candidates;
    }

    public static int ArgMax(ReadOnlySpan<float> logits)
    {
        int best = 0;
        for (int i = 1; i < logits.Length; i++)
            if (logits[i] > logits[best]) best = i;
        return best;
    }
}
