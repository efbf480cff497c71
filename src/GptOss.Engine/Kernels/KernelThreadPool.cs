using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace GptOss.Engine.Kernels;

/// <summary>Work over an index range [start, end), run by <see cref="KernelThreadPool.For{TJob}"/>.</summary>
internal interface IRangeJob
{
    void Run(int start, int end);
}

/// <summary>
/// A fixed set of worker threads, created once, that split an index range (matrix rows) between
/// themselves and the calling thread. A call allocates nothing: the job is a struct passed by
/// address with a function pointer to its Run. Chunks are claimed from a shared counter and the
/// caller claims too, so a call finishes when its chunks are done even if a worker was descheduled
/// (a shared, oversubscribed host). Chunks shrink as the range runs out (each takes a share of what
/// is left): long sequential streams first, small pieces last, so the threads finish together.
/// Idle workers spin briefly (decode issues ~100 matmuls per token back to back), then sleep on an
/// event so they leave the cores to others.
/// One caller at a time; a job must not call For.
/// </summary>
public sealed unsafe class KernelThreadPool : IDisposable
{
    // A chunk takes 1/(2·threads) of the indices left, and at least 1/(64·threads) of the range.
    private const int ShareOfRest = 2, SmallestShare = 64;

    private readonly Worker[] _workers;
    private readonly long _spinTicks;

    private long _generation;
    private delegate*<void*, int, int, void> _invoke;
    private void* _job;
    private int _count;
    private int _grain;
    private int _smallestChunk;
    private int _next;
    private int _done;
    private int _activeWorkers;
    private Exception? _error;
    private int _busy;
    private volatile bool _disposed;

    /// <param name="threadCount">Threads that run kernels, the caller included; 0 = processor count.</param>
    /// <param name="spinMicroseconds">How long an idle worker spins before it sleeps.</param>
    public KernelThreadPool(int threadCount = 0, int spinMicroseconds = 200)
    {
        if (threadCount < 0) throw new ArgumentOutOfRangeException(nameof(threadCount), threadCount, "thread count must be 0 (all processors) or positive");
        if (spinMicroseconds < 0) throw new ArgumentOutOfRangeException(nameof(spinMicroseconds), spinMicroseconds, "spin time must not be negative");
        ThreadCount = threadCount == 0 ? Environment.ProcessorCount : threadCount;
        _spinTicks = Stopwatch.Frequency * spinMicroseconds / 1_000_000;
        _workers = new Worker[ThreadCount - 1];
        for (int i = 0; i < _workers.Length; i++)
        {
            var worker = new Worker(this);
            _workers[i] = worker;
            worker.Thread = new Thread(worker.Loop) { IsBackground = true, Name = $"gptoss-kernel-{i + 1}" };
            worker.Thread.Start();
        }
    }

    public int ThreadCount { get; }

    /// <summary>
    /// Runs job over [0, count) in chunks that start at multiples of <paramref name="grain"/> (so a
    /// chunk never splits a group of rows a kernel handles together), and returns when all chunks
    /// are done. Rethrows the first exception a chunk threw.
    /// </summary>
    internal void For<TJob>(int count, int grain, in TJob job) where TJob : struct, IRangeJob
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (count <= 0) return;
        if (grain <= 0) throw new ArgumentOutOfRangeException(nameof(grain), grain, "grain must be positive");
        if (Interlocked.Exchange(ref _busy, 1) != 0)
            throw new InvalidOperationException("KernelThreadPool.For was called again before the previous call returned (one caller at a time; no nested For)");
        try
        {
            if (_workers.Length == 0 || count <= grain) job.Run(0, count);
            else Dispatch(count, grain, job);
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    private void Dispatch<TJob>(int count, int grain, in TJob job) where TJob : struct, IRangeJob
    {
        // Seqlock: an odd generation means "fields changing". A worker that woke too late for the
        // previous call may still be looking at its (empty) chunk counter: let it leave first.
        Interlocked.Increment(ref _generation);
        var spin = new SpinWait();
        while (Volatile.Read(ref _activeWorkers) != 0) spin.SpinOnce(sleep1Threshold: -1);

        // The job stays on this stack frame until all its chunks are done; no worker touches it
        // after that, since every index has been claimed.
        TJob local = job;
        _invoke = &Invoke<TJob>;
        _job = Unsafe.AsPointer(ref local);
        _count = count;
        _grain = grain;
        _smallestChunk = (int)Math.Max(grain, (long)count / (SmallestShare * ThreadCount));
        _next = 0;
        _done = 0;
        _error = null;
        Interlocked.Increment(ref _generation);
        foreach (var worker in _workers)
            if (Volatile.Read(ref worker.Sleeping) != 0) worker.Wake.Set();

        RunChunks();
        spin = new SpinWait();
        while (Volatile.Read(ref _done) != count) spin.SpinOnce(sleep1Threshold: -1);
        _job = null;
        if (_error is { } error) throw new AggregateException("a kernel chunk failed", error);
    }

    private static void Invoke<TJob>(void* job, int start, int end) where TJob : struct, IRangeJob =>
        Unsafe.AsRef<TJob>(job).Run(start, end);

    private void RunChunks()
    {
        while (Claim(out int start, out int end))
        {
            if (Volatile.Read(ref _error) is null)
            {
                try
                {
                    _invoke(_job, start, end);
                }
                catch (Exception e)
                {
                    Interlocked.CompareExchange(ref _error, e, null);
                }
            }
            Interlocked.Add(ref _done, end - start);
        }
    }

    /// <summary>The next chunk: a share of the indices left, rounded up to the grain.</summary>
    private bool Claim(out int start, out int end)
    {
        while (true)
        {
            start = Volatile.Read(ref _next);
            if (start >= _count)
            {
                end = start;
                return false;
            }
            long size = Math.Max(_smallestChunk, (_count - start) / (ShareOfRest * ThreadCount));
            end = (int)Math.Min(_count, start + (size + _grain - 1) / _grain * _grain);
            if (Interlocked.CompareExchange(ref _next, end, start) == start) return true;
        }
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Interlocked.Add(ref _generation, 2);
        foreach (var worker in _workers) worker.Wake.Set();
        foreach (var worker in _workers)
        {
            worker.Thread!.Join();
            worker.Wake.Dispose();
        }
    }

    private sealed class Worker(KernelThreadPool pool)
    {
        public Thread? Thread;
        public readonly ManualResetEventSlim Wake = new(false, spinCount: 1);
        public int Sleeping;

        public void Loop()
        {
            long seen = 0;
            while (true)
            {
                seen = WaitForWork(seen);
                if (pool._disposed) return;
                // Join only the call we woke for: if the generation moved on (a new call is being
                // set up, or was), leave; the caller waits for no worker, only for its chunks.
                Interlocked.Increment(ref pool._activeWorkers);
                if (Volatile.Read(ref pool._generation) == seen) pool.RunChunks();
                Interlocked.Decrement(ref pool._activeWorkers);
            }
        }

        private long WaitForWork(long seen)
        {
            long spinUntil = Stopwatch.GetTimestamp() + pool._spinTicks;
            int spins = 0;
            while (true)
            {
                long generation = Volatile.Read(ref pool._generation);
                if (generation != seen && (generation & 1) == 0) return generation;
                if (++spins < 64 || Stopwatch.GetTimestamp() < spinUntil)
                {
                    Thread.SpinWait(8);
                    continue;
                }
                // Announce the sleep, then look once more: the caller bumps the generation before it
                // reads Sleeping, so either it sees the flag and sets the event or we see its bump.
                Interlocked.Exchange(ref Sleeping, 1);
                long now = Volatile.Read(ref pool._generation);
                if (now == seen || (now & 1) != 0) Wake.Wait();
                Wake.Reset();
                Interlocked.Exchange(ref Sleeping, 0);
                spinUntil = Stopwatch.GetTimestamp() + pool._spinTicks;
                spins = 0;
            }
        }
    }
}
