using System.Diagnostics;
using System.Globalization;

namespace GptOss.Tools.Python;

/// <summary>
/// How a python worker is started: under prlimit (address space, CPU seconds, processes, file size), a launcher
/// closes every inherited descriptor and hands bubblewrap a seccomp filter, and bubblewrap shares no namespace
/// with the host (no network, its own pids, read-only /usr, tmpfs /tmp and /mnt/data, a read-only /dev with a
/// small /dev/shm, no nested user namespaces). Root ignores the process-count limit, so a root host first drops
/// to an unprivileged uid of the session's own with setpriv.
/// </summary>
internal sealed class PythonSandbox(ToolsOptions options)
{
    public const string WorkDirectory = "/mnt/data";

    private static readonly Lazy<byte[]?> Seccomp = new(SeccompFilter.ForCurrentArchitecture);

    private PythonOptions Python => options.Python;

    /// <summary>Why the sandbox cannot run here, or null when every program it needs is present.</summary>
    public string? MissingPrerequisite()
    {
        if (!OperatingSystem.IsLinux()) return "the python sandbox needs Linux (bubblewrap)";
        if (Seccomp.Value is null) return $"the python sandbox has no seccomp filter for {System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture} (only x64 and arm64)";
        if (!File.Exists(Python.PythonPath)) return $"python3 not found at {Python.PythonPath}";
        if (!File.Exists(Python.BubblewrapPath)) return $"bubblewrap not found at {Python.BubblewrapPath} (install the Debian package bubblewrap)";
        if (!File.Exists(Python.PrlimitPath)) return $"prlimit not found at {Python.PrlimitPath} (util-linux)";
        if (Environment.IsPrivilegedProcess && !File.Exists(Python.SetprivPath))
            return $"setpriv not found at {Python.SetprivPath}; the sandbox will not run code as root";
        return null;
    }

    /// <summary>The uid a new session runs as: its own on a root host (see <see cref="SandboxUsers"/>), none otherwise.</summary>
    public SandboxUsers.Lease? RentUser() => Environment.IsPrivilegedProcess ? SandboxUsers.Rent(Python) : null;

    /// <param name="workerSource">The worker's python source.</param>
    /// <param name="user">The session's uid from <see cref="RentUser"/>.</param>
    public ProcessStartInfo CreateStartInfo(string workerSource, SandboxUsers.Lease? user)
    {
        var start = new ProcessStartInfo
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var args = start.ArgumentList;
        int processes;
        if (user is not null)
        {
            start.FileName = Python.SetprivPath;
            var id = user.UserId.ToString(CultureInfo.InvariantCulture);
            foreach (var a in new[] { $"--reuid={id}", $"--regid={id}", "--clear-groups", Python.PrlimitPath }) args.Add(a);
            processes = Python.MaxProcesses;
        }
        else
        {
            start.FileName = Python.PrlimitPath;
            // RLIMIT_NPROC counts every task of the uid, the host's own included.
            processes = ProcessTable.TasksOf(ProcessTable.CurrentUserId()) + Python.MaxProcesses;
        }

        args.Add($"--as={options.MemoryLimitBytes}");
        args.Add($"--cpu={Python.SessionCpuSeconds}:{Python.SessionCpuSeconds}");
        args.Add($"--nproc={processes}");
        args.Add($"--fsize={Python.MaxFileBytes}");
        args.Add("--core=0");
        foreach (var a in new[] { Python.PythonPath, "-I", "-S", "-c", PythonLauncher.Source, Convert.ToBase64String(Seccomp.Value!) }) args.Add(a);
        args.Add(Python.BubblewrapPath);
        foreach (var a in BubblewrapArguments()) args.Add(a);
        args.Add(Python.PythonPath);
        args.Add("-I"); // isolated: no user site, no PYTHON* variables, no cwd on sys.path
        args.Add("-u");
        args.Add("-c");
        args.Add(workerSource);

        start.Environment.Clear();
        start.Environment["PATH"] = "/usr/bin:/bin";
        start.Environment["LANG"] = "C.UTF-8";
        start.Environment["HOME"] = WorkDirectory;
        start.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        // glibc reserves 64 MB of address space per malloc arena, up to 8 per core: a dozen threads would
        // exhaust the address-space limit.
        start.Environment["MALLOC_ARENA_MAX"] = "2";
        return start;
    }

    private IEnumerable<string> BubblewrapArguments()
    {
        var workDirBytes = Python.WorkDirBytes.ToString(CultureInfo.InvariantCulture);
        string[] fixedArgs =
        [
            // --disable-userns: code cannot build nested namespaces (its own mounts, network, ids).
            "--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent", "--new-session",
            "--ro-bind", "/usr", "/usr",
            "--proc", "/proc",
            // /dev is a tmpfs of bubblewrap's with no size limit: read-only, with a small /dev/shm for POSIX semaphores.
            "--dev", "/dev",
            "--size", Python.SharedMemoryBytes.ToString(CultureInfo.InvariantCulture), "--tmpfs", "/dev/shm",
            "--remount-ro", "/dev",
            "--size", workDirBytes, "--tmpfs", "/tmp",
            "--size", workDirBytes, "--tmpfs", WorkDirectory,
            "--chdir", WorkDirectory,
        ];
        foreach (var a in fixedArgs) yield return a;
        // Merged-/usr systems have /bin, /lib... as links into /usr; older ones as directories.
        foreach (var path in new[] { "/bin", "/sbin", "/lib", "/lib32", "/lib64" })
        {
            var info = new FileInfo(path);
            if (info.LinkTarget is { } target)
            {
                yield return "--symlink"; yield return target; yield return path;
            }
            else if (Directory.Exists(path))
            {
                yield return "--ro-bind"; yield return path; yield return path;
            }
        }
        // The root bwrap builds is a tmpfs of its own; nothing but /tmp, /dev/shm and the work dir stays writable.
        yield return "--remount-ro"; yield return "/";
    }
}
