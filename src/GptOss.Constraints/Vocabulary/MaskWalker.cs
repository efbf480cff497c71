using GptOss.Constraints.Automata;
using GptOss.Harmony;

namespace GptOss.Constraints.Vocabulary;

/// <summary>
/// Computes a state's mask by walking the <see cref="TokenTrie"/> against the automaton: a prefix the automaton
/// rejects skips its whole subtree, so only tokens that can start from the state are visited.
/// </summary>
internal static class MaskWalker
{
    /// <summary>Every token allowed from <paramref name="state"/>, sorted by how it changes the shortest completion.</summary>
    public static StateMasks Walk(LazyDfa dfa, int state, TokenTrie trie)
    {
        int need = dfa.Need(state);
        var all = new TokenMask(HarmonyTokenizer.ModelVocabularySize);
        var shortening = new TokenMask(HarmonyTokenizer.ModelVocabularySize);
        var keeping = new TokenMask(HarmonyTokenizer.ModelVocabularySize);
        var lengthening = new List<(int Token, int NeedAfter)>();
        var row = dfa.Row(state);
        if (LoopsOnEveryByte(row, state))
        {
            // Free text (the analysis, a free answer): every ordinary token stays in the state; no walk needed.
            all.UnionWith(trie.AllOrdinary);
            keeping.UnionWith(trie.AllOrdinary);
            AllowSpecials();
            return Sorted();
        }
        var stateAt = new int[trie.MaxDepth + 1];
        stateAt[0] = state;
        byte[] bytes = trie.Bytes, depths = trie.Depths;
        int[] tokens = trie.Tokens, subtreeEnds = trie.SubtreeEnds;
        for (int node = 0; node < bytes.Length;)
        {
            int depth = depths[node];
            int next = dfa.Row(stateAt[depth - 1])[bytes[node]];
            if (next == LazyDfa.Dead)
            {
                node = subtreeEnds[node];
                continue;
            }
            stateAt[depth] = next;
            if (tokens[node] >= 0) Allow(tokens[node], dfa.Need(next));
            node++;
        }
        AllowSpecials();
        return Sorted();

        void AllowSpecials()
        {
            for (int symbol = 256; symbol < Symbols.Count; symbol++)
                if (row[symbol] != LazyDfa.Dead) Allow(Symbols.SpecialTokenIds[symbol - 256], dfa.Need(row[symbol]));
        }

        StateMasks Sorted()
        {
            lengthening.Sort((a, b) => a.NeedAfter.CompareTo(b.NeedAfter));
            return new StateMasks(need, all, shortening, keeping, [.. lengthening]);
        }

        void Allow(int token, int needAfter)
        {
            all.Allow(token);
            if (needAfter < need) shortening.Allow(token);
            else if (needAfter == need) keeping.Allow(token);
            else lengthening.Add((token, needAfter));
        }
    }

    private static bool LoopsOnEveryByte(int[] row, int state)
    {
        for (int b = 0; b < 256; b++)
            if (row[b] != state) return false;
        return true;
    }

    /// <summary>Only the special tokens allowed from <paramref name="state"/> (ending a message) that fit <paramref name="budget"/>.</summary>
    public static TokenMask SpecialsOnly(LazyDfa dfa, int state, int budget)
    {
        var mask = new TokenMask(HarmonyTokenizer.ModelVocabularySize);
        var row = dfa.Row(state);
        for (int symbol = 256; symbol < Symbols.Count; symbol++)
            if (row[symbol] != LazyDfa.Dead && dfa.Need(row[symbol]) <= budget) mask.Allow(Symbols.SpecialTokenIds[symbol - 256]);
        return mask;
    }
}
