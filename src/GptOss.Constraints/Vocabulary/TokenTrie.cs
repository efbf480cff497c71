using System.Diagnostics;
using GptOss.Harmony;

namespace GptOss.Constraints.Vocabulary;

/// <summary>
/// The ordinary tokens of o200k_harmony (ids below <see cref="HarmonyTokens.FirstSpecial"/>) as a byte trie, flattened
/// in preorder: node <c>i</c> adds byte <see cref="Bytes"/>[i] at depth <see cref="Depths"/>[i] to its parent's prefix,
/// ends token <see cref="Tokens"/>[i] (or -1), and its subtree ends before <see cref="SubtreeEnds"/>[i]. A walk against
/// an automaton skips a whole subtree when a prefix is rejected. Special tokens are not in it: they are symbols of
/// their own. Built once per process.
/// </summary>
internal sealed class TokenTrie
{
    private static readonly Lazy<TokenTrie> SharedInstance = new(() => Build(HarmonyTokenizer.Shared), LazyThreadSafetyMode.ExecutionAndPublication);

    public static TokenTrie Shared => SharedInstance.Value;

    private TokenTrie(byte[] bytes, byte[] depths, int[] tokens, int[] subtreeEnds, TimeSpan buildTime)
    {
        Bytes = bytes;
        Depths = depths;
        Tokens = tokens;
        SubtreeEnds = subtreeEnds;
        BuildTime = buildTime;
    }

    public byte[] Bytes { get; }
    public byte[] Depths { get; }
    public int[] Tokens { get; }
    public int[] SubtreeEnds { get; }

    public int NodeCount => Bytes.Length;

    /// <summary>Every ordinary token: the mask of a state that free text loops in.</summary>
    public TokenMask AllOrdinary { get; } = OrdinaryMask();

    /// <summary>Depth of the deepest node (the longest token's length in bytes).</summary>
    public int MaxDepth { get; private init; }

    /// <summary>How long building took (the vocabulary's own load excluded), for the performance notes.</summary>
    public TimeSpan BuildTime { get; }

    public static TokenTrie Build(HarmonyTokenizer tokenizer)
    {
        var ids = Enumerable.Range(0, HarmonyTokens.FirstSpecial).ToArray();
        var clock = Stopwatch.StartNew();
        var keys = ids.Select(id => tokenizer.TokenBytes(id).ToArray()).ToArray();
        Array.Sort(keys, ids, ByteOrder.Instance);

        var bytes = new List<byte>(1 << 20);
        var depths = new List<byte>(1 << 20);
        var tokens = new List<int>(1 << 20);
        var subtreeEnds = new List<int>(1 << 20);
        var path = new List<int>();   // node index at each depth of the current token
        byte[] previous = [];
        int maxDepth = 0;
        for (int k = 0; k < keys.Length; k++)
        {
            byte[] key = keys[k];
            if (key.Length == 0 || key.Length > byte.MaxValue)
                throw new InvalidOperationException($"Token {ids[k]} has {key.Length} bytes; the trie holds 1 to 255.");
            int common = CommonPrefix(previous, key);
            if (common == key.Length && common == previous.Length)
                throw new InvalidOperationException($"Token {ids[k]} repeats another token's bytes.");
            for (int depth = path.Count - 1; depth >= common; depth--) subtreeEnds[path[depth]] = bytes.Count;
            path.RemoveRange(common, path.Count - common);
            for (int depth = common; depth < key.Length; depth++)
            {
                path.Add(bytes.Count);
                bytes.Add(key[depth]);
                depths.Add((byte)(depth + 1));
                tokens.Add(-1);
                subtreeEnds.Add(-1);
            }
            tokens[path[^1]] = ids[k];
            maxDepth = Math.Max(maxDepth, key.Length);
            previous = key;
        }
        foreach (int node in path) subtreeEnds[node] = bytes.Count;
        return new TokenTrie([.. bytes], [.. depths], [.. tokens], [.. subtreeEnds], clock.Elapsed) { MaxDepth = maxDepth };
    }

    private static TokenMask OrdinaryMask()
    {
        var mask = new TokenMask(HarmonyTokenizer.ModelVocabularySize);
        for (int id = 0; id < HarmonyTokens.FirstSpecial; id++) mask.Allow(id);
        return mask;
    }

    private static int CommonPrefix(byte[] a, byte[] b)
    {
        int n = Math.Min(a.Length, b.Length), i = 0;
        while (i < n && a[i] == b[i]) i++;
        return i;
    }

    private sealed class ByteOrder : IComparer<byte[]>
    {
        public static readonly ByteOrder Instance = new();

        public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
    }
}
