using System.Globalization;

namespace GptOss.Tools.Python;

/// <summary>Tasks (threads) per uid from /proc: RLIMIT_NPROC counts exactly these.</summary>
internal static class ProcessTable
{
    public static int CurrentUserId() => RealUserId("/proc/self/status") ?? throw new InvalidOperationException("/proc/self/status has no Uid line");

    public static int TasksOf(int userId) => TasksByUser().GetValueOrDefault(userId);

    public static Dictionary<int, int> TasksByUser()
    {
        var tasks = new Dictionary<int, int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!char.IsAsciiDigit(Path.GetFileName(dir)[0])) continue;
            try
            {
                var status = File.ReadAllLines(Path.Combine(dir, "status"));
                if (Field(status, "Uid:") is not { } uid || Field(status, "Threads:") is not { } threads) continue;
                tasks[uid] = tasks.GetValueOrDefault(uid) + threads;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The process ended while we looked.
            }
        }
        return tasks;
    }

    private static int? RealUserId(string statusPath) => Field(File.ReadAllLines(statusPath), "Uid:");

    /// <summary>The first number of a status line ("Uid:\treal\teffective...").</summary>
    private static int? Field(string[] status, string name)
    {
        var line = status.FirstOrDefault(l => l.StartsWith(name, StringComparison.Ordinal));
        var value = line?.Split('\t', StringSplitOptions.RemoveEmptyEntries).ElementAtOrDefault(1);
        return int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;
    }
}
