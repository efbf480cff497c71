namespace GptOss.Constraints;

/// <summary>A set of token ids over a vocabulary, one bit each; immutable once handed to a sampler.</summary>
public sealed class TokenMask
{
    private readonly ulong[] _bits;

    public TokenMask(int vocabularySize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(vocabularySize);
        VocabularySize = vocabularySize;
        _bits = new ulong[(vocabularySize + 63) / 64];
    }

    public int VocabularySize { get; }

    /// <summary>The bit words, token id <c>i</c> at bit <c>i % 64</c> of word <c>i / 64</c>.</summary>
    public ReadOnlySpan<ulong> Bits => _bits;

    public bool IsAllowed(int token) => (uint)token < (uint)VocabularySize && (_bits[token >> 6] & (1UL << token)) != 0;

    public void Allow(int token)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)token, (uint)VocabularySize, nameof(token));
        _bits[token >> 6] |= 1UL << token;
    }

    internal TokenMask Copy()
    {
        var copy = new TokenMask(VocabularySize);
        _bits.CopyTo(copy._bits, 0);
        return copy;
    }

    internal void UnionWith(TokenMask other)
    {
        for (int i = 0; i < _bits.Length; i++) _bits[i] |= other._bits[i];
    }

    public int Count
    {
        get
        {
            int count = 0;
            foreach (var word in _bits) count += System.Numerics.BitOperations.PopCount(word);
            return count;
        }
    }
}
