namespace GptOss.Tools.Python;

/// <summary>
/// The uids sandboxes of a root host run as, one per live session. RLIMIT_NPROC counts the tasks of a uid, so
/// sessions sharing one would share one process limit: a conversation holding its children would make every
/// other conversation's sandbox fail to start.
/// </summary>
internal static class SandboxUsers
{
    private static readonly HashSet<int> Leased = [];

    /// <summary>A uid of the configured range that no session of this process holds and no process runs as.</summary>
    public static Lease Rent(PythonOptions python)
    {
        // uid 0 would be root, whom the process limit does not bind; past int.MaxValue the ids wrap.
        if (python.FirstSandboxUserId < 1 || python.SandboxUserCount < 1 || (long)python.FirstSandboxUserId + python.SandboxUserCount > int.MaxValue)
            throw new InvalidOperationException(
                $"Tools:Python:FirstSandboxUserId ({python.FirstSandboxUserId}) and SandboxUserCount ({python.SandboxUserCount}) must give uids from 1 to {int.MaxValue}");
        lock (Leased)
        {
            // Another host process, or a dying sandbox of ours, may still run as a uid.
            var running = ProcessTable.TasksByUser();
            for (var i = 0; i < python.SandboxUserCount; i++)
            {
                var uid = python.FirstSandboxUserId + i;
                if (!Leased.Contains(uid) && !running.ContainsKey(uid) && Leased.Add(uid)) return new Lease(uid);
            }
        }
        throw new InvalidOperationException(
            $"all {python.SandboxUserCount} sandbox uids from {python.FirstSandboxUserId} are in use (Tools:Python:SandboxUserCount)");
    }

    /// <summary>One session's uid, free for another session once disposed.</summary>
    internal sealed class Lease(int userId) : IDisposable
    {
        private int _released;

        public int UserId => userId;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) != 0) return;
            lock (Leased) Leased.Remove(userId);
        }
    }
}
