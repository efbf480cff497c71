using System.Diagnostics;

namespace GptOss.KernelBench;

/// <summary>Seconds per call: best and median wall time, and the median CPU time the process spent.</summary>
internal readonly record struct CallTime(double Best, double Median, double Cpu);

/// <summary>
/// Repeats a measurement and keeps best and median: the host is shared and noisy. CPU time per
/// call (all threads, spinning included) says what a call costs when other processes take cores.
/// </summary>
internal static class Timing
{
    /// <summary>Per call over <paramref name="repeats"/> passes of <paramref name="calls"/> calls each.</summary>
    public static CallTime SecondsPerCall(int repeats, int calls, Action<int> call)
    {
        call(0); // warm up: JIT, page faults
        var wall = new double[repeats];
        var cpu = new double[repeats];
        using var process = Process.GetCurrentProcess();
        for (int r = 0; r < repeats; r++)
        {
            process.Refresh();
            var cpuStart = process.TotalProcessorTime;
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < calls; i++) call(i);
            wall[r] = Stopwatch.GetElapsedTime(start).TotalSeconds / calls;
            process.Refresh();
            cpu[r] = (process.TotalProcessorTime - cpuStart).TotalSeconds / calls;
        }
        Array.Sort(wall);
        Array.Sort(cpu);
        return new CallTime(wall[0], wall[repeats / 2], cpu[repeats / 2]);
    }
}
