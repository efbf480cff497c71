using GptOss.Engine.Kernels;

namespace GptOss.Engine.Tests.Kernels;

public sealed unsafe class KernelThreadPoolTests
{
    private readonly struct CountJob(int* hits, int grain, int* misaligned) : IRangeJob
    {
        public void Run(int start, int end)
        {
            if (start % grain != 0) Interlocked.Increment(ref *misaligned);
            for (int i = start; i < end; i++) Interlocked.Increment(ref hits[i]);
        }
    }

    [Theory]
    [InlineData(1, 0)]
    [InlineData(2, 200)]
    [InlineData(3, 0)]
    [InlineData(4, 50)]
    public void Runs_every_index_once_in_aligned_chunks(int threads, int spinMicroseconds)
    {
        using var pool = new KernelThreadPool(threads, spinMicroseconds);
        Assert.Equal(threads, pool.ThreadCount);
        var random = new Random(threads);
        for (int call = 0; call < 300; call++)
        {
            int count = random.Next(0, 5000), grain = random.Next(1, 9);
            using var hits = new NativeArray<int>(count);
            using var misaligned = new NativeArray<int>(1);
            pool.For(count, grain, new CountJob(hits.Pointer, grain, misaligned.Pointer));
            Assert.All(hits.ToArray(), h => Assert.Equal(1, h));
            Assert.Equal(0, misaligned.AsSpan()[0]);
        }
    }

    /// <summary>
    /// Many tiny calls back to back, with workers that sleep at once or spin briefly: late workers
    /// and wake-ups race the next call's set-up; every call must still see each index exactly once.
    /// </summary>
    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    public void Survives_many_tiny_calls(int spinMicroseconds)
    {
        using var pool = new KernelThreadPool(3, spinMicroseconds);
        using var hits = new NativeArray<int>(8);
        using var misaligned = new NativeArray<int>(1);
        const int calls = 5000;
        for (int call = 0; call < calls; call++) pool.For(8, 1, new CountJob(hits.Pointer, 1, misaligned.Pointer));
        Assert.All(hits.ToArray(), h => Assert.Equal(calls, h));
    }

    private readonly struct FailingJob : IRangeJob
    {
        public void Run(int start, int end)
        {
            if (start > 0) throw new InvalidOperationException("chunk failed");
        }
    }

    [Fact]
    public void Rethrows_a_failed_chunk_and_keeps_working()
    {
        using var pool = new KernelThreadPool(2);
        var error = Assert.Throws<AggregateException>(() => pool.For(1000, 1, new FailingJob()));
        Assert.IsType<InvalidOperationException>(error.InnerException);
        using var hits = new NativeArray<int>(100);
        using var misaligned = new NativeArray<int>(1);
        pool.For(100, 1, new CountJob(hits.Pointer, 1, misaligned.Pointer));
        Assert.All(hits.ToArray(), h => Assert.Equal(1, h));
    }

    private readonly struct NestedJob(KernelThreadPool pool) : IRangeJob
    {
        public void Run(int start, int end) => pool.For(10, 1, new FailingJob());
    }

    [Fact]
    public void Refuses_a_nested_call_instead_of_hanging()
    {
        using var pool = new KernelThreadPool(2);
        var error = Assert.Throws<AggregateException>(() => pool.For(1000, 1, new NestedJob(pool)));
        Assert.IsType<InvalidOperationException>(error.InnerException);
    }

    [Theory]
    [InlineData(1, 1000, 1)]
    [InlineData(2, 1, 1)]
    [InlineData(2, 7, 4)]
    [InlineData(2, 201088, 4)]
    [InlineData(3, 11520, 1)]
    [InlineData(3, 5000, 16)]
    public void Every_index_runs_once_in_chunks_that_start_on_the_grain(int threads, int count, int grain)
    {
        using var pool = new KernelThreadPool(threads);
        var chunks = Run(pool, count, grain, out var hits);

        Assert.All(hits, h => Assert.Equal(1, h));
        Assert.All(chunks, c => Assert.Equal(0, c.Start % grain));
        Assert.All(chunks, c => Assert.True(c.End == count || c.End % grain == 0, $"chunk [{c.Start}, {c.End}) splits a grain of {grain}"));
    }

    /// <summary>
    /// Long sequential chunks first (each thread streams a big piece), small ones last, so the threads run out of work
    /// together instead of one waiting for the other's last big chunk.
    /// </summary>
    [Fact]
    public void Chunks_shrink_as_the_range_runs_out()
    {
        using var pool = new KernelThreadPool(2);
        const int Count = 100_000;
        var chunks = Run(pool, Count, 1, out _).OrderBy(c => c.Start).ToList();

        Assert.Equal(Count / 4, chunks[0].End - chunks[0].Start);
        Assert.True(chunks[^1].End - chunks[^1].Start <= Count / 128, $"last chunk {chunks[^1].End - chunks[^1].Start} of {Count}");
        Assert.True(chunks.Zip(chunks.Skip(1)).All(p => p.Second.End - p.Second.Start <= p.First.End - p.First.Start),
            "chunk sizes do not decrease");
    }

    private static List<(int Start, int End)> Run(KernelThreadPool pool, int count, int grain, out int[] hits)
    {
        hits = new int[count];
        var starts = new int[count];
        var ends = new int[count];
        int recorded = 0;
        fixed (int* h = hits, s = starts, e = ends)
            pool.For(count, grain, new RecordingJob(h, s, e, &recorded));
        return Enumerable.Range(0, recorded).Select(i => (starts[i], ends[i])).ToList();
    }

    private readonly struct RecordingJob(int* hits, int* starts, int* ends, int* recorded) : IRangeJob
    {
        public void Run(int start, int end)
        {
            int slot = Interlocked.Increment(ref *recorded) - 1;
            starts[slot] = start;
            ends[slot] = end;
            for (int i = start; i < end; i++) Interlocked.Increment(ref hits[i]);
        }
    }

    [Fact]
    public void Defaults_to_the_processor_count_and_rejects_bad_options()
    {
        using (var pool = new KernelThreadPool()) Assert.Equal(Environment.ProcessorCount, pool.ThreadCount);
        Assert.Throws<ArgumentOutOfRangeException>(() => new KernelThreadPool(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new KernelThreadPool(2, -5));
    }

    [Fact]
    public void Refuses_work_after_dispose()
    {
        var pool = new KernelThreadPool(2);
        pool.Dispose();
        Assert.Throws<ObjectDisposedException>(() => pool.For(10, 1, new FailingJob()));
    }
}
