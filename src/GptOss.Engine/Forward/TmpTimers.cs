namespace GptOss.Engine.Forward;
internal static class TmpTimers
{
    public static readonly double[] T = new double[16];
    public static long Now() => System.Diagnostics.Stopwatch.GetTimestamp();
    public static void Add(int i, long start) => T[i] += (System.Diagnostics.Stopwatch.GetTimestamp() - start) / (double)System.Diagnostics.Stopwatch.Frequency;
    static TmpTimers() { AppDomain.CurrentDomain.ProcessExit += (_, _) => Console.Error.WriteLine("TIMERS " + string.Join(" ", T.Select((v, i) => $"{i}:{v:F3}"))); }
}
