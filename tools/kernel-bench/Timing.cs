using System.Diagnostics;

namespace GptOss.KernelBench;

/// <summary>Repeats a measurement and keeps best and median: the host is shared and noisy.</summary>
internal static class Timing
{
    /// <summary>Seconds per call over <paramref name="repeats"/> passes of <paramref name="calls"/> calls each.</summary>
    public static (double Best, double Median) SecondsPerCall(int repeats, int calls, Action<int> call)
    {
        call(0); // warm up: JIT tiers, page faults
        var samples = new double[repeats];
        for (int r = 0; r < repeats; r++)
        {
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < calls; i++) call(i);
            samples[r] = Stopwatch.GetElapsedTime(start).TotalSeconds / calls;
        }
        Array.Sort(samples);
        return (samples[0], samples[repeats / 2]);
    }
}
