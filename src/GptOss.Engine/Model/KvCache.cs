using GptOss.Engine.Checkpoints;
using GptOss.Engine.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace GptOss.Engine.Model;

/// <summary>
/// Keys and values of one attention layer, in blocks of rows taken as the sequence grows (paged, as vLLM does), so a
/// sequence costs what its tokens use. A full-attention layer keeps position p in row p; a sliding layer keeps a ring of
/// <c>window + rollback</c> rows (row = p mod capacity), enough to attend over the window and to step back a little for
/// prefix reuse. Each row remembers which position it holds.
/// </summary>
internal sealed unsafe class LayerKvCache : IDisposable
{
    /// <summary>Rows per block of a full-attention layer (a power of two: the kernels find a row with a shift and a mask).</summary>
    public const int DefaultBlockRows = 256;

    private readonly Tensor?[] _keyBlocks, _valueBlocks;   // [allocated rows, kvHeads, headDim] each; null = not taken yet
    private readonly nint[] _keyTable, _valueTable;        // pinned: the blocks' addresses the CPU kernels read through
    private readonly long[] _slotPositions;                // -1 = empty
    private readonly int _window;                          // 0 = full attention
    private readonly int _kvHeads, _headDim, _rowElements;
    private readonly int _blockShift;
    private readonly int _allocatedRows;                   // rows a block holds: fewer than BlockRows where the layer is smaller
    private readonly ScalarType _type;
    private readonly Device _device;

    public int Capacity { get; }
    public int BlockRows => 1 << _blockShift;

    public LayerKvCache(int capacity, int window, int kvHeads, int headDim, ScalarType type, Device device, int blockRows = DefaultBlockRows)
    {
        Capacity = capacity;
        _window = window;
        (_kvHeads, _headDim, _rowElements) = (kvHeads, headDim, kvHeads * headDim);
        (_type, _device) = (type, device);
        (_blockShift, _allocatedRows) = Blocks(capacity, window, blockRows);
        int blocks = (capacity + BlockRows - 1) >> _blockShift;
        (_keyBlocks, _valueBlocks) = (new Tensor?[blocks], new Tensor?[blocks]);
        (_keyTable, _valueTable) = (GC.AllocateArray<nint>(blocks, pinned: true), GC.AllocateArray<nint>(blocks, pinned: true));
        _slotPositions = new long[capacity];
        Array.Fill(_slotPositions, -1L);
        if (window > 0) Reserve(capacity);   // a ring is one small block, in use as soon as the sequence passes the window
    }

    /// <summary>
    /// Where rows live: blocks of <paramref name="blockRows"/> on a full layer; one block on a ring (small, and in use
    /// as soon as the sequence passes the window) or on a layer smaller than a block. The addressing span is a power of
    /// two (a shift and a mask find a row); a block holds no more rows than the layer has.
    /// </summary>
    private static (int Shift, int AllocatedRows) Blocks(int capacity, int window, int blockRows)
    {
        if (blockRows < 1 || (blockRows & (blockRows - 1)) != 0)
            throw new ArgumentOutOfRangeException(nameof(blockRows), blockRows, "rows per KV block must be a power of two");
        int span = window > 0 || capacity <= blockRows ? (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(1, capacity)) : blockRows;
        return (System.Numerics.BitOperations.Log2((uint)span), Math.Min(span, capacity));
    }

    /// <summary>Bytes a layer of <paramref name="capacity"/> rows takes when every row is in use (whole blocks).</summary>
    public static long BytesAtCapacity(int capacity, int window, int kvHeads, int headDim, int bytesPerValue, int blockRows = DefaultBlockRows)
    {
        var (shift, allocated) = Blocks(capacity, window, blockRows);
        long blocks = (capacity + (1L << shift) - 1) >> shift;
        return 2 * blocks * allocated * kvHeads * headDim * bytesPerValue;
    }

    /// <summary>Bytes of the blocks taken now.</summary>
    public long BytesInUse => _keyBlocks.Count(b => b is not null) * 2L * _allocatedRows * _rowElements * (_type == ScalarType.BFloat16 ? sizeof(ushort) : sizeof(float));

    /// <summary>
    /// Stores k/v [T, kvHeads, D] of positions start..start+T-1 and returns every key/value those queries may see
    /// (cached and new) with the position of each (-1 for a row that must be ignored).
    /// </summary>
    public (Tensor Keys, Tensor Values, Tensor Positions) Append(int start, Tensor k, Tensor v)
    {
        int count = (int)k.shape[0];
        if (_window == 0)
        {
            Store(start, k, v);
            return (Rows(_keyBlocks, start + count), Rows(_valueBlocks, start + count),
                torch.arange(start + count, ScalarType.Int64, _device));
        }

        // Sliding: attend over the ring as it was (positions before start) plus the new rows, then overwrite the ring.
        var visible = new long[Capacity + count];
        for (int s = 0; s < Capacity; s++)
            visible[s] = _slotPositions[s] < start ? _slotPositions[s] : -1;
        for (int i = 0; i < count; i++) visible[Capacity + i] = start + i;
        var keys = torch.cat([Rows(_keyBlocks, Capacity), k], 0);
        var values = torch.cat([Rows(_valueBlocks, Capacity), v], 0);
        Store(start, k, v);
        return (keys, values, torch.tensor(visible, device: _device));
    }

    /// <summary>The first <paramref name="rows"/> rows as one tensor (a copy unless they lie in one block).</summary>
    private Tensor Rows(Tensor?[] blocks, int rows)
    {
        int used = (rows + BlockRows - 1) >> _blockShift;
        var parts = blocks.Take(used).Select(b => b!).ToArray();
        return (parts.Length == 1 ? parts[0] : torch.cat(parts, 0)).narrow(0, 0, rows);
    }

    /// <summary>Stores k/v [T, kvHeads, D] (the cache's dtype) of positions start..start+T-1; a ring keeps the last ones.</summary>
    public void Store(int start, Tensor k, Tensor v)
    {
        int count = (int)k.shape[0];
        EnsureFits(start, count);
        int kept = Math.Min(count, Capacity);
        int first = start + count - kept;
        Reserve(Math.Min(Capacity, start + count));
        // Runs of consecutive rows inside one block: one copy each (a ring wraps at most once per pass).
        for (int p = first; p < start + count;)
        {
            int slot = p % Capacity, row = slot & (BlockRows - 1);
            int run = Math.Min(Math.Min(start + count - p, BlockRows - row), Capacity - slot);
            _keyBlocks[slot >> _blockShift]!.narrow(0, row, run).copy_(k.narrow(0, p - start, run));
            _valueBlocks[slot >> _blockShift]!.narrow(0, row, run).copy_(v.narrow(0, p - start, run));
            p += run;
        }
        Record(start, count);
    }

    /// <summary>
    /// Stores one position's key and value rows [kvHeads · headDim] given as float32 (already BF16 values when the
    /// cache is BF16) straight into the CPU cache's memory.
    /// </summary>
    public void Store(int position, float* k, float* v)
    {
        EnsureFits(position, 1);
        int slot = position % Capacity;
        Reserve(slot + 1);
        long offset = (long)(slot & (BlockRows - 1)) * _rowElements;
        if (_type == ScalarType.BFloat16)
        {
            ushort* keys = (ushort*)_keyTable[slot >> _blockShift] + offset, values = (ushort*)_valueTable[slot >> _blockShift] + offset;
            for (int i = 0; i < _rowElements; i++)
            {
                keys[i] = Fp.FloatToBf16(k[i]);
                values[i] = Fp.FloatToBf16(v[i]);
            }
        }
        else
        {
            long bytes = (long)_rowElements * sizeof(float);
            Buffer.MemoryCopy(k, (float*)_keyTable[slot >> _blockShift] + offset, bytes, bytes);
            Buffer.MemoryCopy(v, (float*)_valueTable[slot >> _blockShift] + offset, bytes, bytes);
        }
        Record(position, 1);
    }

    /// <summary>
    /// Where a pass over positions <paramref name="newStart"/>.. finds keys and values: earlier positions in this CPU
    /// cache's blocks, its own in <paramref name="newKeys"/>/<paramref name="newValues"/> ([T, kvHeads, D], the cache's dtype).
    /// Read it before the pass's rows are stored (a ring may overwrite what they see).
    /// </summary>
    public KeyValueRows Rows(int newStart, byte* newKeys, byte* newValues)
    {
        fixed (nint* keys = _keyTable, values = _valueTable)   // pinned arrays: the addresses stay valid after the fixed scope
            return new((byte**)keys, (byte**)values, Capacity, _blockShift, newKeys, newValues, newStart);
    }

    /// <summary>Whether a forward pass can start at <paramref name="position"/>: every key it may see is still held.</summary>
    public bool CanResumeAt(int position)
    {
        int from = _window == 0 ? 0 : Math.Max(0, position - _window + 1);
        if (position - from > Capacity) return false;
        for (int p = from; p < position; p++)
            if (_slotPositions[p % Capacity] != p) return false;
        return true;
    }

    /// <summary>Forgets every position from <paramref name="length"/> on; a full layer gives back the blocks no kept position uses.</summary>
    public void Truncate(int length)
    {
        for (int s = 0; s < Capacity; s++)
            if (_slotPositions[s] >= length) _slotPositions[s] = -1;
        if (_window > 0) return;
        for (int b = (length + BlockRows - 1) >> _blockShift; b < _keyBlocks.Length; b++) Release(b);
    }

    /// <summary>Takes the blocks rows 0..<paramref name="rows"/>-1 lie in.</summary>
    private void Reserve(int rows)
    {
        for (int b = 0; b < (rows + BlockRows - 1) >> _blockShift; b++)
        {
            if (_keyBlocks[b] is not null) continue;
            _keyBlocks[b] = torch.zeros([_allocatedRows, _kvHeads, _headDim], _type, _device).DetachFromDisposeScope();
            _valueBlocks[b] = torch.zeros([_allocatedRows, _kvHeads, _headDim], _type, _device).DetachFromDisposeScope();
            if (_device.type == DeviceType.CPU)
                (_keyTable[b], _valueTable[b]) = ((nint)MappedTensor.Data(_keyBlocks[b]!), (nint)MappedTensor.Data(_valueBlocks[b]!));
        }
    }

    private void Release(int block)
    {
        _keyBlocks[block]?.Dispose();
        _valueBlocks[block]?.Dispose();
        (_keyBlocks[block], _valueBlocks[block], _keyTable[block], _valueTable[block]) = (null, null, 0, 0);
    }

    private void EnsureFits(int start, int count)
    {
        if (_window == 0 && start + count > Capacity)
            throw new InvalidOperationException($"position {start + count - 1} is beyond the KV cache capacity {Capacity}");
    }

    /// <summary>Row bookkeeping for positions start..start+count-1 just written; a ring forgets positions after them (a rollback's leftovers).</summary>
    private void Record(int start, int count)
    {
        int kept = Math.Min(count, Capacity);
        for (int p = start + count - kept; p < start + count; p++) _slotPositions[p % Capacity] = p;
        if (_window == 0) return;
        for (int s = 0; s < Capacity; s++)
            if (_slotPositions[s] >= start + count) _slotPositions[s] = -1;
    }

    public void Dispose()
    {
        for (int b = 0; b < _keyBlocks.Length; b++) Release(b);
    }
}

/// <summary>The KV cache of every layer plus the token sequence it holds.</summary>
internal sealed class KvCache(IReadOnlyList<LayerKvCache> layers) : IDisposable
{
    private readonly List<int> _tokens = [];

    public IReadOnlyList<LayerKvCache> Layers { get; } = layers;
    /// <summary>The tokens whose keys/values are cached, position 0 first.</summary>
    public IReadOnlyList<int> Tokens => _tokens;

    /// <summary>Bytes of the blocks every layer has taken now.</summary>
    public long BytesInUse => Layers.Sum(l => l.BytesInUse);

    /// <summary>
    /// The longest prefix of <paramref name="prompt"/> that can be taken from the cache, leaving at least one token to
    /// compute (its logits are needed).
    /// </summary>
    public int ReusablePrefix(IReadOnlyList<int> prompt)
    {
        int common = 0;
        int limit = Math.Min(_tokens.Count, prompt.Count - 1);
        while (common < limit && _tokens[common] == prompt[common]) common++;
        while (common > 0 && !Layers.All(l => l.CanResumeAt(common))) common--;
        return common;
    }

    /// <summary>Forgets every token from <paramref name="length"/> on (full layers give back the blocks beyond it).</summary>
    public void Truncate(int length)
    {
        if (length < _tokens.Count) _tokens.RemoveRange(length, _tokens.Count - length);
        foreach (var layer in Layers) layer.Truncate(length);
    }

    public void Appended(IEnumerable<int> tokens) => _tokens.AddRange(tokens);

    public void Dispose()
    {
        foreach (var layer in Layers) layer.Dispose();
    }
}
