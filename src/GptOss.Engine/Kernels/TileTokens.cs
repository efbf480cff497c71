namespace GptOss.Engine.Kernels;

/// <summary>
/// Where <see cref="Mxfp4TileGemm"/> keeps a GEMM's tokens: blocks of 32 tokens (the last one 16 wide when at most 16
/// are left), each block k-pair-major: per k-pair one dword per token, its BF16 values at columns 2p and 2p + 1, so one
/// 64-byte load gives sixteen tokens' pair. A padding token's lanes are computed and never read.
/// </summary>
internal readonly unsafe struct TileTokens(int count, int columns)
{
    /// <summary>Real tokens.</summary>
    public readonly int Count = count;

    /// <summary>Column pairs per token (columns / 2).</summary>
    public readonly int KPairs = columns / 2;

    /// <summary>Tokens with the padding: whole blocks.</summary>
    public int Padded => (Count & 31) == 0 ? Count : (Count & 31) <= 16 ? (Count & ~31) + 16 : (Count & ~31) + 32;

    /// <summary>Dwords the packed tokens take.</summary>
    public long Dwords => (long)Padded * KPairs;

    /// <summary>The width (32 or 16) of the block starting at token <paramref name="first"/> (a multiple of 32).</summary>
    public int Width(int first) => first + 32 <= Padded ? 32 : 16;

    /// <summary>Where token t's k-pair p lies in the packed tokens.</summary>
    public long Index(int t, int p)
    {
        int first = t & ~31;
        return (long)first * KPairs + (long)p * Width(first) + (t - first);
    }

    /// <summary>
    /// Packs the tokens [start, end) of <see cref="Padded"/> from BF16 rows: token t is row <c>rowOf[t]</c> (t itself
    /// when null) of <paramref name="rows"/>, rows <paramref name="rowElements"/> apart; padding lanes are zeroed. Ranges
    /// starting at multiples of 16 write whole 64-byte lines of their own.
    /// </summary>
    public void Pack(ushort* rows, long rowElements, int* rowOf, uint* dest, int start, int end)
    {
        for (int t = start; t < end; t++)
        {
            uint* d = dest + Index(t, 0);
            int width = Width(t & ~31);
            if (t >= Count)
            {
                for (int p = 0; p < KPairs; p++) d[(long)p * width] = 0;
                continue;
            }
            var source = (uint*)(rows + (rowOf == null ? t : rowOf[t]) * rowElements);
            for (int p = 0; p < KPairs; p++) d[(long)p * width] = source[p];
        }
    }
}
