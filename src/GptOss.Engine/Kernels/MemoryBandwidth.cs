using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using GptOss.Engine.Checkpoints;

namespace GptOss.Engine.Kernels;

/// <summary>
/// Measures how fast the machine streams memory into the cores: the ceiling for decoding, which
/// reads every active weight once per token. Measure it in the same run as the figure it bounds;
/// on a shared host it moves by 2x within the hour.
/// </summary>
public static unsafe class MemoryBandwidth
{
    public const long DefaultBytes = 1L << 30;

    /// <summary>As the pool overload, on a pool of <paramref name="threads"/> threads made for the measurement.</summary>
    public static double MeasureReadBytesPerSecond(int threads, long bytes = DefaultBytes, int repeats = 3)
    {
        using var pool = new KernelThreadPool(threads);
        return MeasureReadBytesPerSecond(pool, bytes, repeats);
    }

    /// <summary>
    /// Best of <paramref name="repeats"/> parallel reads of a buffer of <paramref name="bytes"/>
    /// (far beyond the caches), in bytes per second.
    /// </summary>
    public static double MeasureReadBytesPerSecond(KernelThreadPool pool, long bytes = DefaultBytes, int repeats = 3)
    {
        ArgumentNullException.ThrowIfNull(pool);
        const int Chunk = 1 << 16;
        if (bytes < Chunk) throw new ArgumentOutOfRangeException(nameof(bytes), bytes, $"need at least {Chunk} bytes to measure");
        if (repeats <= 0) throw new ArgumentOutOfRangeException(nameof(repeats), repeats, "repeats must be positive");
        long chunks = bytes / Chunk;
        if (chunks > int.MaxValue) throw new ArgumentOutOfRangeException(nameof(bytes), bytes, "buffer too large");
        byte* buffer = (byte*)NativeMemory.AlignedAlloc((nuint)(chunks * Chunk), (nuint)HugePages.Size);
        try
        {
            // In 2 MB pages, like the mapped weights it bounds (4 KB pages read slower: a lower, flattering bound).
            HugePages.Advise(buffer, chunks * Chunk);
            // Touch every page first, so the timed passes read memory instead of faulting it in.
            var fill = new FillJob(buffer, Chunk);
            pool.For((int)chunks, 1, fill);
            var read = new ReadJob(buffer, Chunk);
            double best = 0;
            for (int i = 0; i < repeats; i++)
            {
                long start = Stopwatch.GetTimestamp();
                pool.For((int)chunks, 1, read);
                double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
                best = Math.Max(best, chunks * (double)Chunk / seconds);
            }
            return best;
        }
        finally
        {
            NativeMemory.AlignedFree(buffer);
        }
    }

    private readonly struct FillJob(byte* buffer, int chunk) : IRangeJob
    {
        public void Run(int start, int end)
        {
            for (int i = start; i < end; i++) new Span<byte>(buffer + (long)i * chunk, chunk).Fill(1);
        }
    }

    private readonly struct ReadJob(byte* buffer, int chunk) : IRangeJob
    {
        public void Run(int start, int end)
        {
            // Four independent accumulators keep several loads in flight per core.
            var a0 = Vector256<byte>.Zero;
            var a1 = Vector256<byte>.Zero;
            var a2 = Vector256<byte>.Zero;
            var a3 = Vector256<byte>.Zero;
            byte* p = buffer + (long)start * chunk;
            byte* stop = buffer + (long)end * chunk;
            for (; p < stop; p += 256)
            {
                a0 |= Vector256.Load(p) ^ Vector256.Load(p + 128);
                a1 |= Vector256.Load(p + 32) ^ Vector256.Load(p + 160);
                a2 |= Vector256.Load(p + 64) ^ Vector256.Load(p + 192);
                a3 |= Vector256.Load(p + 96) ^ Vector256.Load(p + 224);
            }
            // Publish the result so the loads cannot be dropped.
            Sink = (a0 | a1 | a2 | a3).GetElement(0);
        }
    }

    [ThreadStatic] private static byte Sink;
}
