namespace GptOss.Engine.Generation;

/// <summary>
/// Picks the next token from float32 logits: greedy at temperature 0 (ties → lower id), else softmax at the
/// temperature, restricted to the smallest set of most likely tokens whose mass reaches top-p. Seeded → reproducible.
/// </summary>
internal sealed class TokenSampler(GenerationOptions options)
{
    private readonly Random _random = options.Seed is { } seed ? new Random(unchecked((int)(seed ^ (seed >> 32)))) : new Random();

    public int Sample(ReadOnlySpan<float> logits)
    {
        if (options.Temperature <= 0)
            return ArgMax(logits);
        float max = logits[ArgMax(logits)];
        var probabilities = new double[logits.Length];
        double total = 0;
        for (int i = 0; i < logits.Length; i++)
            total += probabilities[i] = Math.Exp((logits[i] - max) / options.Temperature);

        if (options.TopP < 1)
        {
            var order = Enumerable.Range(0, logits.Length).ToArray();
            Array.Sort(order, (a, b) => probabilities[b] != probabilities[a] ? probabilities[b].CompareTo(probabilities[a]) : a.CompareTo(b));
            double kept = 0;
            int count = 0;
            while (count < order.Length && (count == 0 || kept < options.TopP * total))
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

    public static int ArgMax(ReadOnlySpan<float> logits)
    {
        int best = 0;
        for (int i = 1; i < logits.Length; i++)
            if (logits[i] > logits[best]) best = i;
        return best;
    }
}
