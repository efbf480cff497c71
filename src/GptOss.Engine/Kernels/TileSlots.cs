namespace GptOss.Engine.Kernels;

/// <summary>
/// Per-thread scratch of <see cref="Mxfp4TileGemm"/>: a dequantized tile and its sums. A range job claims a slot for
/// its run (the pool runs at most <see cref="KernelThreadPool.ThreadCount"/> jobs at once) and gives it back.
/// </summary>
internal sealed unsafe class TileSlots : IDisposable
{
    private readonly NativeBuffer<ushort>[] _tiles;
    private readonly NativeBuffer<float>[] _sums;
    private readonly ushort*[] _tilePointers;
    private readonly float*[] _sumPointers;
    private int _claimed;   // bit i: slot i in use

    public TileSlots(int count)
    {
        if (count is < 1 or > 31) throw new ArgumentOutOfRangeException(nameof(count), count, "tile slots: 1..31 threads");
        _tiles = Enumerable.Range(0, count).Select(_ => new NativeBuffer<ushort>()).ToArray();
        _sums = Enumerable.Range(0, count).Select(_ => new NativeBuffer<float>()).ToArray();
        _tilePointers = new ushort*[count];
        _sumPointers = new float*[count];
    }

    /// <summary>Sizes every slot (the caller's thread, before a parallel run).</summary>
    public void Prepare(long tileElements, long sumFloats)
    {
        for (int i = 0; i < _tiles.Length; i++)
        {
            _tilePointers[i] = _tiles[i].Get(tileElements);
            _sumPointers[i] = _sums[i].Get(sumFloats);
        }
    }

    public int Claim()
    {
        while (true)
        {
            int claimed = Volatile.Read(ref _claimed);
            int free = ~claimed & ((1 << _tiles.Length) - 1);
            if (free == 0) throw new InvalidOperationException("more tile jobs at once than the pool has threads");
            int slot = System.Numerics.BitOperations.TrailingZeroCount(free);
            if (Interlocked.CompareExchange(ref _claimed, claimed | (1 << slot), claimed) == claimed) return slot;
        }
    }

    public void Release(int slot) => Interlocked.And(ref _claimed, ~(1 << slot));

    public ushort* Tile(int slot) => _tilePointers[slot];

    public float* Sums(int slot) => _sumPointers[slot];

    public void Dispose()
    {
        foreach (var buffer in _tiles) buffer.Dispose();
        foreach (var buffer in _sums) buffer.Dispose();
    }
}
