using System.Runtime.ExceptionServices;
using GptOss.Engine.Checkpoints;
using GptOss.Engine.Forward;
using GptOss.Engine.Model;
using GptOss.Generation;
using TorchSharp;

namespace GptOss.Engine.Generation;

/// <summary>
/// Continuous batching on one engine thread that owns the forward pass and every slot's cache. Each step it admits
/// waiting calls into idle slots (FIFO), runs one prefill chunk of the oldest call still prefilling, then decodes one token
/// for every sequence that has one to feed, all in one <see cref="IForwardPass.DecodeBatch"/>; so a running sequence
/// waits at most one chunk for a new prompt. A sequence whose caller has not read its last token waits (at most two tokens
/// ahead of the caller) without holding up the others. Failures and cancellation end only their own sequence.
/// </summary>
internal sealed class EngineScheduler : IDisposable
{
    private static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(1);

    private readonly IForwardPass _pass;
    private readonly SequenceSlots _slots;
    private readonly int _contextLength, _vocabulary, _prefillChunk, _maxQueued;
    private readonly float[] _batchLogits;
    private readonly Thread _thread;
    private readonly AutoResetEvent _wake = new(false);   // set when a call arrives, a caller reads, leaves or cancels

    private readonly object _lock = new();   // guards the fields below it
    private readonly Queue<EngineSequence> _waiting = new();
    private readonly Queue<Action> _jobs = new();
    private int _admitted;
    private bool _stopping;

    private readonly List<EngineSequence> _active = [];   // engine thread only

    /// <param name="maxQueued">Calls that may wait for a slot; one more is refused with <see cref="GenerationQueueFullException"/>.</param>
    public EngineScheduler(IForwardPass pass, IReadOnlyList<KvCache> caches, int contextLength, int vocabulary, int prefillChunk, int maxQueued)
    {
        _pass = pass;
        _slots = new SequenceSlots(caches);
        (_contextLength, _vocabulary, _prefillChunk, _maxQueued) = (contextLength, vocabulary, prefillChunk, maxQueued);
        _batchLogits = new float[(long)caches.Count * vocabulary];
        _thread = new Thread(Loop) { IsBackground = true, Name = "gptoss-engine" };
        _thread.Start();
    }

    /// <summary>The slot a call was last given (what the engine's test hooks act on).</summary>
    public SequenceSlot? LastSlot { get; private set; }

    /// <summary>Queues a call (FIFO).</summary>
    /// <exception cref="GenerationQueueFullException">Every slot is busy and <c>maxQueued</c> calls already wait.</exception>
    public void Submit(EngineSequence sequence)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_stopping, this);
            int idle = _slots.Count - _admitted;
            if (_waiting.Count - idle >= _maxQueued)
                throw new GenerationQueueFullException(
                    $"the engine is busy: {_slots.Count} sequence slot(s) in use and {_waiting.Count - idle} call(s) queued (ParallelSequences, MaxQueuedRequests); retry later",
                    RetryAfter);
            _waiting.Enqueue(sequence);
        }
        Wake();
    }

    /// <summary>Runs <paramref name="job"/> on the engine thread between steps and returns its result.</summary>
    public T Invoke<T>(Func<T> job)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_stopping, this);
            _jobs.Enqueue(() =>
            {
                try { done.SetResult(job()); }
                catch (Exception e) { done.SetException(e); }
            });
        }
        Wake();
        return done.Task.GetAwaiter().GetResult();
    }

    public void Wake() => _wake.Set();

    /// <summary>KV cache bytes the slots hold (engine thread).</summary>
    public long BytesInUse => _slots.BytesInUse;

    /// <summary>The idle slot a new prompt would take, truncated to the prefix it keeps and left idle (work run in <see cref="Invoke"/>).</summary>
    public (SequenceSlot Slot, int Reused) Borrow(IReadOnlyList<int> prompt)
    {
        var (slot, reused) = _slots.Take(prompt) ?? throw new InvalidOperationException("every sequence slot is busy");
        _slots.Give(slot);
        LastSlot = slot;
        return (slot, reused);
    }

    private void Loop()
    {
        while (true)
        {
            lock (_lock)
                if (_stopping) break;
            bool worked;
            try
            {
                RunJobs();
                worked = Admit();
                worked |= Step();
            }
            catch (Exception e)
            {
                // A fault outside any one sequence's work: end the running sequences with it, keep serving new calls.
                foreach (var sequence in _active.ToArray())
                {
                    sequence.Slot!.Cache.Truncate(0);
                    Fail(sequence, e);
                }
                worked = true;
            }
            if (!worked) _wake.WaitOne();
        }
        RunJobs();   // a caller of Invoke waits for its job
        var disposed = new ObjectDisposedException(nameof(GptOssEngine));
        foreach (var sequence in _active.ToArray()) Fail(sequence, disposed);
        lock (_lock)
            while (_waiting.TryDequeue(out var sequence)) Fail(sequence, disposed);
    }

    private void RunJobs()
    {
        while (true)
        {
            Action? job;
            lock (_lock)
                if (!_jobs.TryDequeue(out job)) return;
            job();
        }
    }

    /// <summary>The waiting calls that a free slot can take, oldest first; calls already cancelled or left end here.</summary>
    private bool Admit()
    {
        bool worked = false;
        while (true)
        {
            EngineSequence? sequence;
            lock (_lock)
            {
                if (!_waiting.TryPeek(out sequence)) return worked;
                bool gone = sequence.Left || sequence.Cancellation.IsCancellationRequested;
                if (!gone && _admitted == _slots.Count) return worked;
                _waiting.Dequeue();
                if (!gone) _admitted++;
            }
            worked = true;
            if (sequence.Left || sequence.Cancellation.IsCancellationRequested)
            {
                Fail(sequence, new OperationCanceledException(sequence.Cancellation));
                continue;
            }
            // A logits call starts from an empty cache: it takes the least recently used slot and keeps nothing.
            var (slot, reused) = _slots.Take(sequence.Options is null ? null : sequence.Prompt)!.Value;
            sequence.Slot = LastSlot = slot;
            sequence.CachedTokens = sequence.Prefilled = reused;
            sequence.Clock.Start();
            _active.Add(sequence);
        }
    }

    /// <summary>One scheduling step; false when nothing could move (every sequence waits for its caller).</summary>
    private bool Step()
    {
        bool worked = false;
        foreach (var sequence in _active.ToArray())
        {
            if (sequence.Left)
            {
                Release(sequence);
                worked = true;
            }
            else if (sequence.Pending is { } token && sequence.Unread == 0)
            {
                sequence.Pending = null;
                Deliver(sequence, token);
                worked = true;
            }
        }
        if (_active.FirstOrDefault(s => s.Prefilling) is { } prefilling)
        {
            PrefillChunk(prefilling);
            worked = true;
        }
        var batch = _active.Where(s => s.NextInput is not null && !s.Left).ToArray();
        if (batch.Length > 0)
        {
            Decode(batch);
            worked = true;
        }
        return worked;
    }

    /// <summary>Runs the next chunk of a prompt; after the last, samples the first token (or returns every position's logits).</summary>
    private void PrefillChunk(EngineSequence sequence)
    {
        var cache = sequence.Slot!.Cache;
        bool allPositions = sequence.Options is null;
        try
        {
            int start = sequence.Prefilled;
            var chunk = sequence.Prompt.Skip(start).Take(_prefillChunk).ToArray();
            bool last = start + chunk.Length == sequence.Prompt.Count;
            using (torch.inference_mode())
            using (torch.NewDisposeScope())
            {
                var logits = _pass.Prefill(chunk, start, cache, allPositions);
                cache.Appended(chunk);
                if (allPositions)
                {
                    sequence.PromptLogits ??= new float[(long)sequence.Prompt.Count * _vocabulary];
                    CopyLogits(logits, sequence.PromptLogits, checked(start * _vocabulary));
                }
                else if (last)
                {
                    sequence.PromptLogits = new float[_vocabulary];
                    CopyLogits(logits, sequence.PromptLogits, 0);
                }
            }
            sequence.Prefilled = start + chunk.Length;
            if (!last) return;
            sequence.PrefillTime = sequence.Clock.Elapsed;
            if (allPositions)
            {
                var flat = sequence.PromptLogits!;
                sequence.AllLogits.TrySetResult(Enumerable.Range(0, sequence.Prompt.Count)
                    .Select(t => flat.AsSpan(t * _vocabulary, _vocabulary).ToArray()).ToArray());
                Release(sequence);
            }
            else
            {
                Sample(sequence, sequence.PromptLogits);
            }
        }
        catch (Exception e)
        {
            cache.Truncate(0);   // a half-written cache must not be reused
            Fail(sequence, e);
        }
    }

    /// <summary>
    /// One token for each sequence of <paramref name="batch"/> in one pass; when the pass fails, each is retried alone so
    /// that only the sequences that fail on their own end (rewriting a position overwrites what the batch left there).
    /// </summary>
    private void Decode(EngineSequence[] batch)
    {
        var tokens = batch.Select(s => s.NextInput!.Value).ToArray();
        var positions = batch.Select(s => s.Slot!.Cache.Tokens.Count).ToArray();
        var caches = batch.Select(s => s.Slot!.Cache).ToArray();
        var logits = _batchLogits.AsSpan(0, batch.Length * _vocabulary);
        var failed = new Exception?[batch.Length];
        using (torch.inference_mode())
        {
            try
            {
                _pass.DecodeBatch(tokens, positions, caches, logits);
            }
            catch when (batch.Length > 1)
            {
                for (int i = 0; i < batch.Length; i++)
                {
                    try { _pass.DecodeOne(tokens[i], positions[i], caches[i], logits.Slice(i * _vocabulary, _vocabulary)); }
                    catch (Exception e) { failed[i] = e; }
                }
            }
            catch (Exception e)
            {
                failed[0] = e;
            }
        }
        for (int i = 0; i < batch.Length; i++)
        {
            var sequence = batch[i];
            sequence.NextInput = null;
            if (failed[i] is { } error)
            {
                caches[i].Truncate(0);   // a half-written cache must not be reused
                Fail(sequence, error);
                continue;
            }
            caches[i].Appended([tokens[i]]);
            Sample(sequence, logits.Slice(i * _vocabulary, _vocabulary));
        }
    }

    private void Sample(EngineSequence sequence, ReadOnlySpan<float> logits)
    {
        var options = sequence.Options!;
        int token;
        try
        {
            // Tokens this call may still produce, this one included: the new-token limit or the context, whichever comes first.
            int remaining = Math.Min(options.MaxNewTokens - sequence.Generated, _contextLength - sequence.Slot!.Cache.Tokens.Count + 1);
            token = sequence.Sampler!.Sample(logits, Math.Max(1, remaining));
        }
        catch (Exception e)
        {
            Fail(sequence, e);
            return;
        }
        int generated = ++sequence.Generated;
        FinishReason? finish =
            options.StopTokens.Contains(token) ? FinishReason.Stop
            : generated >= options.MaxNewTokens || sequence.Slot!.Cache.Tokens.Count >= _contextLength ? FinishReason.Length
            : sequence.Cancellation.IsCancellationRequested ? FinishReason.Cancelled
            : null;
        var stats = new GenerationStats(sequence.Prompt.Count, sequence.CachedTokens, generated, sequence.PrefillTime,
            sequence.Clock.Elapsed - sequence.PrefillTime, finish);
        var step = new GeneratedToken(token, stats);
        if (sequence.Unread == 0) Deliver(sequence, step);
        else sequence.Pending = step;
    }

    /// <summary>Hands a token to the caller; the sequence ends with its last, or feeds it to the model next step.</summary>
    private void Deliver(EngineSequence sequence, GeneratedToken token)
    {
        sequence.Wrote();
        sequence.Steps.Writer.TryWrite(new SequenceStep(token, null));
        if (token.Stats.FinishReason is not null) Release(sequence);
        else sequence.NextInput = token.Id;
    }

    private void Fail(EngineSequence sequence, Exception error)
    {
        sequence.Steps.Writer.TryWrite(new SequenceStep(default, ExceptionDispatchInfo.Capture(error)));
        sequence.AllLogits.TrySetException(error);
        Release(sequence);
    }

    /// <summary>Ends a sequence: its slot (if it had one) is idle again and keeps its cache for the next prompt.</summary>
    private void Release(EngineSequence sequence)
    {
        if (sequence.Slot is { } slot)
        {
            _active.Remove(sequence);
            _slots.Give(slot);
            sequence.Slot = null;
            lock (_lock) _admitted--;
        }
        sequence.Steps.Writer.TryComplete();
        sequence.Released.TrySetResult();
    }

    /// <summary>One memory copy of float32 logits into <paramref name="result"/> (TorchSharp's accessor walks indices).</summary>
    internal static unsafe void CopyLogits(torch.Tensor logits, float[] result, int offset)
    {
        using var values = logits.cpu().contiguous();
        new ReadOnlySpan<float>(MappedTensor.Data(values), checked((int)values.numel())).CopyTo(result.AsSpan(offset));
    }

    public void Dispose()
    {
        lock (_lock) _stopping = true;
        Wake();
        if (Thread.CurrentThread != _thread) _thread.Join();
        _slots.Dispose();
        // _wake stays undisposed: a caller leaving or cancelling after the engine is disposed still signals it.
    }
}
