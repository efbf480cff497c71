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
