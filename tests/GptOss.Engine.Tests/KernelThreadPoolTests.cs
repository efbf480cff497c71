using GptOss.Engine.Kernels;

namespace GptOss.Engine.Tests;

public sealed unsafe class KernelThreadPoolTests
{
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

    [Fact]
    public void A_failing_chunk_surfaces_as_an_exception_and_the_pool_keeps_working()
    {
        using var pool = new KernelThreadPool(2);
        var error = Assert.Throws<AggregateException>(() => pool.For(1000, 1, new FailingJob(500)));
        Assert.IsType<InvalidOperationException>(error.InnerException);

        Run(pool, 1000, 1, out var hits);
        Assert.All(hits, h => Assert.Equal(1, h));
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

    private readonly struct FailingJob(int failAt) : IRangeJob
    {
        public void Run(int start, int end)
        {
            if (start <= failAt && failAt < end) throw new InvalidOperationException($"index {failAt} failed");
        }
    }
}
