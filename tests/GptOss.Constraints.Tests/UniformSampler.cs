using GptOss.Harmony;

namespace GptOss.Constraints.Tests;

/// <summary>
/// Plays a model that knows nothing: at each step it picks uniformly among the tokens the constraint allows (any
/// ordinary token or <c>&lt;|end|&gt;</c> while the mask is null), so every corner the grammar leaves open is taken.
/// </summary>
internal static class UniformSampler
{
    /// <summary>The tokens of one run: at most <paramref name="maxTokens"/>, ending at <c>&lt;|return|&gt;</c> or <c>&lt;|call|&gt;</c>.</summary>
    public static List<int> Run(ITokenConstraint constraint, int maxTokens, Random random)
    {
        var tokens = new List<int>();
        while (tokens.Count < maxTokens)
        {
            var mask = constraint.Allowed(maxTokens - tokens.Count);
            int token = mask is null ? random.Next(HarmonyTokens.FirstSpecial) : Pick(mask, random);
            constraint.Accept(token);
            tokens.Add(token);
            if (token is HarmonyTokens.Return or HarmonyTokens.Call) break;
        }
        return tokens;
    }

    private static int Pick(TokenMask mask, Random random)
    {
        int count = mask.Count;
        Assert.True(count > 0, "the constraint allowed no token");
        int index = random.Next(count);
        var bits = mask.Bits;
        for (int word = 0; ; word++)
        {
            int inWord = System.Numerics.BitOperations.PopCount(bits[word]);
            if (index >= inWord)
            {
                index -= inWord;
                continue;
            }
            ulong w = bits[word];
            for (int i = 0; i < index; i++) w &= w - 1;
            return word * 64 + System.Numerics.BitOperations.TrailingZeroCount(w);
        }
    }

    /// <summary>The text of <paramref name="tokens"/> with special tokens spelled out.</summary>
    public static string Text(IEnumerable<int> tokens) => HarmonyTokenizer.Shared.Decode(tokens);
}
