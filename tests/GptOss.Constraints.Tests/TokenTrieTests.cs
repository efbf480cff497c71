using GptOss.Constraints.Vocabulary;
using GptOss.Harmony;

namespace GptOss.Constraints.Tests;

public sealed class TokenTrieTests
{
    [Fact]
    public void EveryOrdinaryTokenIsSpelledOnceByItsPathAndSubtreesNest()
    {
        var trie = TokenTrie.Shared;
        var seen = new bool[HarmonyTokens.FirstSpecial];
        var path = new byte[trie.MaxDepth];
        var open = new Stack<int>();
        for (int node = 0; node < trie.NodeCount; node++)
        {
            int depth = trie.Depths[node];
            while (open.Count >= depth) Assert.True(trie.SubtreeEnds[open.Pop()] <= node);
            Assert.Equal(open.Count + 1, depth);
            Assert.True(trie.SubtreeEnds[node] > node);
            open.Push(node);
            path[depth - 1] = trie.Bytes[node];
            if (trie.Tokens[node] is var token and >= 0)
            {
                Assert.False(seen[token]);
                seen[token] = true;
                Assert.True(HarmonyTokenizer.Shared.TokenBytes(token).SequenceEqual(path.AsSpan(0, depth)), $"token {token}");
            }
        }
        Assert.All(seen, Assert.True);
    }
}
