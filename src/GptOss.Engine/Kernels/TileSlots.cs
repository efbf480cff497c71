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
    private readonly int[] _inUse;

    public TileSlots(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        _inUse = new int[count];
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
        for (int slot = 0; slot < _inUse.Length; slot++)
            if (Interlocked.CompareExchange(ref _inUse[slot], 1, 0) == 0) return slot;
        throw new InvalidOperationException("more tile jobs at once than the pool has threads");
    }

    public void Release(int slot) => Volatile.Write(ref _inUse[slot], 0);

    public ushort* Tile(int slot) => _tilePointers[slot];

    public float* Sums(int slot) => _sumPointers[slot];

    public void Dispose()
    {
        foreach (var buffer in _tiles) buffer.Dispose();
        foreach (var buffer in _sums) buffer.Dispose();
    }
}
