using GptOss.Engine.Model;

namespace GptOss.Engine.Generation;

/// <summary>One sequence slot: its own KV cache, kept after a call ends as a prefix cache for the next.</summary>
internal sealed class SequenceSlot(KvCache cache) : IDisposable
{
    public KvCache Cache { get; } = cache;
    public bool Busy { get; set; }
    /// <summary>When the slot was last given back (a tick of <see cref="SequenceSlots"/>): the least recently used goes first.</summary>
    public long LastUsed { get; set; }

    public void Dispose() => Cache.Dispose();
}

/// <summary>
/// The engine's sequence slots and which one a new prompt takes: the idle slot whose cache holds the longest reusable
/// prefix of it, else the least recently used, so conversations that take turns keep their prefixes. Engine thread only.
/// </summary>
internal sealed class SequenceSlots(IReadOnlyList<KvCache> caches) : IDisposable
{
    private readonly SequenceSlot[] _slots = caches.Select(c => new SequenceSlot(c)).ToArray();
    private long _tick;

    public int Count => _slots.Length;

    public long BytesInUse => _slots.Sum(s => s.Cache.BytesInUse);

    /// <summary>The idle slot for <paramref name="prompt"/> (null = reuse nothing) and the prefix it keeps; null when all are busy.</summary>
    public (SequenceSlot Slot, int Reused)? Take(IReadOnlyList<int>? prompt)
    {
        (SequenceSlot Slot, int Reused)? best = null;
        foreach (var slot in _slots)
        {
            if (slot.Busy) continue;
            int reused = prompt is null ? 0 : slot.Cache.ReusablePrefix(prompt);
            if (best is not { } b || reused > b.Reused || (reused == b.Reused && slot.LastUsed < b.Slot.LastUsed))
                best = (slot, reused);
        }
        if (best is { } taken)
        {
            taken.Slot.Busy = true;
            taken.Slot.Cache.Truncate(taken.Reused);
        }
        return best;
    }

    public void Give(SequenceSlot slot)
    {
        slot.Busy = false;
        slot.LastUsed = ++_tick;
    }

    public void Dispose()
    {
        foreach (var slot in _slots) slot.Dispose();
    }
}
