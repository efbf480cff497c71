using GptOss.Constraints;
using GptOss.Generation;
namespace GptOss.Engine.Generation;

/// <summary>
/// Picks the next token from float32 logits: greedy at temperature 0 (ties → lower id), else softmax at the
/// temperature, restricted to the smallest set of most likely tokens whose mass reaches top-p. Seeded → reproducible.
/// Top-p sorts only candidates above a probability threshold that is lowered until they hold the mass, not the whole
/// vocabulary; buffers are reused across tokens. With a <see cref="GenerationOptions.Constraint"/>, tokens it does not
/// allow get logit -∞ before any of that, and the chosen token is reported back to it.
/// </summary>
internal sealed class TokenSampler(GenerationOptions options)
{
    private readonly Random _random = options.Seed is { } seed ? new Random(unchecked((int)(seed ^ (seed >> 32)))) : new Random();
    private double[] _probabilities = [];
    private readonly List<int> _candidates = [];
    private float[] _masked = [];

    /// <summary>The next token; <paramref name="remainingTokens"/> (this one included) lets a constraint steer to an end that fits.</summary>
    public int Sample(ReadOnlySpan<float> logits, int remainingTokens)
    {
        if (options.Constraint is not { } constraint) return SampleFrom(logits);
        var mask = constraint.Allowed(remainingTokens);
        int token;
        if (mask is null)
        {
            token = SampleFrom(logits);
        }
        else
        {
            var masked = Masked(logits, mask);
            token = SampleFrom(masked);
            // Rounding in the top-p walk can land on a zero-probability token; the best allowed one stands in.
            if (!mask.IsAllowed(token)) token = ArgMax(masked);
        }
        constraint.Accept(token);
        return token;
    }

    /// <summary>The logits with every token the mask does not allow at -∞, in a reused buffer.</summary>
    private float[] Masked(ReadOnlySpan<float> logits, TokenMask mask)
    {
        if (mask.VocabularySize != logits.Length)
            throw new InvalidOperationException(
                $"Constrained decoding needs the o200k_harmony vocabulary ({mask.VocabularySize} tokens); this model has {logits.Length}.");
        if (_masked.Length != logits.Length) _masked = new float[logits.Length];
        var bits = mask.Bits;
        for (int word = 0; word < bits.Length; word++)
        {
            int first = word * 64, count = Math.Min(64, logits.Length - first);
            var source = logits.Slice(first, count);
            var target = _masked.AsSpan(first, count);
            switch (bits[word])
            {
                case 0: target.Fill(float.NegativeInfinity); break;
                case ulong.MaxValue: source.CopyTo(target); break;
                case var allowed:
                    for (int i = 0; i < count; i++) target[i] = (allowed & (1UL << i)) != 0 ? source[i] : float.NegativeInfinity;
                    break;
            }
        }
        return _masked;
    }

    private int SampleFrom(ReadOnlySpan<float> logits)
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
