namespace GptOss.Constraints.Vocabulary;

/// <summary>
/// The tokens allowed from one automaton state, split by how they change the shortest completion (need): those that
/// shorten it, those that keep it, and the few that lengthen it with their need after. A session keeps need ≤ tokens
/// left, so the budget is never below need − 1 and a budget-limited mask is a union of these parts, without a new walk.
/// </summary>
internal sealed class StateMasks(int need, TokenMask all, TokenMask shortening, TokenMask keeping, (int Token, int NeedAfter)[] lengthening)
{
    /// <summary>Every token the grammar allows from the state.</summary>
    public TokenMask All { get; } = all;

    /// <summary>The allowed tokens after which the answer can still end within <paramref name="budget"/> tokens.</summary>
    public TokenMask Within(int budget)
    {
        if (lengthening.Length == 0 || budget >= lengthening[^1].NeedAfter)
            return budget >= need ? All : shortening;
        if (budget < need) return shortening;
        var mask = shortening.Copy();
        mask.UnionWith(keeping);
        foreach (var (token, needAfter) in lengthening)
        {
            if (needAfter > budget) break;
            mask.Allow(token);
        }
        return mask;
    }
}
