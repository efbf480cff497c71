using GptOss.Engine.Checkpoints;
using GptOss.Engine.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace GptOss.Engine.Model;

/// <summary>
/// Keys and values of one attention layer, preallocated. A full-attention layer keeps position p in slot p; a sliding
/// layer keeps a ring of <c>window + rollback</c> slots (slot = p mod capacity), enough to attend over the window and
/// to step back a little for prefix reuse. Each slot remembers which position it holds.
/// </summary>
internal sealed unsafe class LayerKvCache : IDisposable
{
    private readonly Tensor _keys, _values;   // [capacity, kvHeads, headDim]
    private readonly long[] _slotPositions;   // -1 = empty
    private readonly int _window;             // 0 = full attention
    private readonly int _rowElements;        // kvHeads · headDim

    public int Capacity { get; }

    public LayerKvCache(int capacity, int window, int kvHeads, int headDim, ScalarType type, Device device)
    {
        Capacity = capacity;
        _window = window;
        _rowElements = kvHeads * headDim;
        _keys = torch.zeros([capacity, kvHeads, headDim], type, device).DetachFromDisposeScope();
        _values = torch.zeros([capacity, kvHeads, headDim], type, device).DetachFromDisposeScope();
        _slotPositions = new long[capacity];
        Array.Fill(_slotPositions, -1L);
    }

    /// <summary>
    /// Stores k/v [T, kvHeads, D] of positions start..start+T-1 and returns every key/value those queries may see
    /// (cached and new) with the position of each (-1 for a slot that must be ignored).
    /// </summary>
    public (Tensor Keys, Tensor Values, Tensor Positions) Append(int start, Tensor k, Tensor v)
    {
        int count = (int)k.shape[0];
        if (_window == 0)
        {
            Store(start, k, v);
            return (_keys.narrow(0, 0, start + count), _values.narrow(0, 0, start + count),
                torch.arange(start + count, ScalarType.Int64, _keys.device));
        }

        // Sliding: attend over the ring as it was (positions before start) plus the new rows, then overwrite the ring.
        var visible = new long[Capacity + count];
        for (int s = 0; s < Capacity; s++)
            visible[s] = _slotPositions[s] < start ? _slotPositions[s] : -1;
        for (int i = 0; i < count; i++) visible[Capacity + i] = start + i;
        var keys = torch.cat([_keys, k], 0);
        var values = torch.cat([_values, v], 0);
        Store(start, k, v);
        return (keys, values, torch.tensor(visible, device: _keys.device));
    }

    /// <summary>Stores k/v [T, kvHeads, D] (the cache's dtype) of positions start..start+T-1; a ring keeps the last ones.</summary>
    public void Store(int start, Tensor k, Tensor v)
    {
        int count = (int)k.shape[0];
        EnsureFits(start, count);
        if (_window == 0)
        {
            _keys.narrow(0, start, count).copy_(k);
            _values.narrow(0, start, count).copy_(v);
        }
        else
        {
            int kept = Math.Min(count, Capacity);
            var slots = new long[kept];
            for (int i = 0; i < kept; i++) slots[i] = (start + count - kept + i) % Capacity;
            var slotIndex = torch.tensor(slots, device: _keys.device);
            _keys.index_copy_(0, slotIndex, k.narrow(0, count - kept, kept));
            _values.index_copy_(0, slotIndex, v.narrow(0, count - kept, kept));
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
        long offset = (long)(position % Capacity) * _rowElements;
        if (_keys.dtype == ScalarType.BFloat16)
        {
            ushort* keys = (ushort*)MappedTensor.Data(_keys) + offset, values = (ushort*)MappedTensor.Data(_values) + offset;
            for (int i = 0; i < _rowElements; i++)
            {
                keys[i] = Fp.FloatToBf16(k[i]);
                values[i] = Fp.FloatToBf16(v[i]);
            }
        }
        else
        {
            long bytes = (long)_rowElements * sizeof(float);
            Buffer.MemoryCopy(k, (float*)MappedTensor.Data(_keys) + offset, bytes, bytes);
            Buffer.MemoryCopy(v, (float*)MappedTensor.Data(_values) + offset, bytes, bytes);
        }
        Record(position, 1);
    }

    /// <summary>
    /// Where a pass over positions <paramref name="newStart"/>.. finds keys and values: earlier positions in this CPU
    /// cache, its own in <paramref name="newKeys"/>/<paramref name="newValues"/> ([T, kvHeads, D], the cache's dtype).
    /// Read it before the pass's rows are stored (a ring may overwrite what they see).
    /// </summary>
    public KeyValueRows Rows(int newStart, byte* newKeys, byte* newValues) =>
        new(MappedTensor.Data(_keys), MappedTensor.Data(_values), Capacity, newKeys, newValues, newStart);

    /// <summary>Whether a forward pass can start at <paramref name="position"/>: every key it may see is still held.</summary>
    public bool CanResumeAt(int position)
    {
        int from = _window == 0 ? 0 : Math.Max(0, position - _window + 1);
        if (position - from > Capacity) return false;
        for (int p = from; p < position; p++)
            if (_slotPositions[p % Capacity] != p) return false;
        return true;
    }

    public void Clear() => Array.Fill(_slotPositions, -1L);

    private void EnsureFits(int start, int count)
    {
        if (_window == 0 && start + count > Capacity)
            throw new InvalidOperationException($"position {start + count - 1} is beyond the KV cache capacity {Capacity}");
    }

    /// <summary>Slot bookkeeping for positions start..start+count-1 just written; a ring forgets positions after them (a rollback's leftovers).</summary>
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
        _keys.Dispose();
        _values.Dispose();
    }
}

/// <summary>The KV cache of every layer plus the token sequence it holds.</summary>
internal sealed class KvCache(IReadOnlyList<LayerKvCache> layers) : IDisposable
{
    private readonly List<int> _tokens = [];

    public IReadOnlyList<LayerKvCache> Layers { get; } = layers;
    /// <summary>The tokens whose keys/values are cached, position 0 first.</summary>
    public IReadOnlyList<int> Tokens => _tokens;

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

    /// <summary>Forgets every token from <paramref name="length"/> on.</summary>
    public void Truncate(int length)
    {
        if (length < _tokens.Count) _tokens.RemoveRange(length, _tokens.Count - length);
        if (length == 0)
            foreach (var layer in Layers) layer.Clear();
    }

    public void Appended(IEnumerable<int> tokens) => _tokens.AddRange(tokens);

    public void Dispose()
    {
        foreach (var layer in Layers) layer.Dispose();
    }
}
