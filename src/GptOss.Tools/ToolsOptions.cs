namespace GptOss.Tools;

/// <summary>Tool settings, bound from the configuration section <c>Tools</c>.</summary>
public sealed class ToolsOptions
{
    public const string SectionName = "Tools";

    /// <summary>Hard wall-clock limit of one call (code execution, a page fetch).</summary>
    public TimeSpan TimeLimit { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Most characters of one result message; the rest is cut with a note.</summary>
    public int MaxOutputChars { get; set; } = 16_000;

    /// <summary>Memory a code tool may use (python address space, Jint allocation).</summary>
    public long MemoryLimitBytes { get; set; } = 1L << 30;

    /// <summary>Tool calls running at once, across every conversation of one factory.</summary>
    public int MaxConcurrentCalls { get; set; } = 4;

    public ResilienceOptions Resilience { get; set; } = new();
    public JavaScriptOptions JavaScript { get; set; } = new();
    public PythonOptions Python { get; set; } = new();
    public BrowserOptions Browser { get; set; } = new();
}

/// <summary>Retry (transient failures only) and the per-tool circuit breaker.</summary>
public sealed class ResilienceOptions
{
    public int MaxRetries { get; set; } = 2;
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(200);
    /// <summary>Failed calls, out of at least <see cref="MinimumThroughput"/>, that open the breaker.</summary>
    public double FailureRatio { get; set; } = 0.5;
    public int MinimumThroughput { get; set; } = 4;
    public TimeSpan SamplingDuration { get; set; } = TimeSpan.FromSeconds(60);
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(30);
}

public sealed class JavaScriptOptions
{
    public bool Enabled { get; set; } = true;
    public int MaxStatements { get; set; } = 10_000_000;
    public int MaxRecursionDepth { get; set; } = 256;
    /// <summary>Deepest bracket nesting accepted before parsing (parsing deep nesting can overflow the stack).</summary>
    public int MaxParseDepth { get; set; } = 256;
    /// <summary>Longest code accepted: Jint's parser cannot be interrupted, and some long inputs parse slowly.</summary>
    public int MaxCodeChars { get; set; } = 100_000;
    public uint MaxArraySize { get; set; } = 10_000_000;
    /// <summary>
    /// Bytes one conversation's interpreter may allocate over all its calls before it is restarted (its state is
    /// lost). The memory limit holds per call; this bounds what a session can keep alive across calls.
    /// </summary>
    public long MaxSessionAllocatedBytes { get; set; } = 4L << 30;
}

public sealed class PythonOptions
{
    public bool Enabled { get; set; } = true;
    public string PythonPath { get; set; } = "/usr/bin/python3";
    public string BubblewrapPath { get; set; } = "/usr/bin/bwrap";
    public string PrlimitPath { get; set; } = "/usr/bin/prlimit";
    /// <summary>Used to drop root before entering the sandbox (root ignores process-count limits).</summary>
    public string SetprivPath { get; set; } = "/usr/bin/setpriv";
    /// <summary>
    /// On a root host each session runs as a uid of its own, from this one on (the process limit counts per uid, so
    /// sessions sharing one would share it). The default range is one no account or container tool hands out.
    /// </summary>
    public int FirstSandboxUserId { get; set; } = 2_000_000_000;
    /// <summary>How many uids from <see cref="FirstSandboxUserId"/> on: the most python sessions at once on a root host.</summary>
    public int SandboxUserCount { get; set; } = 1024;
    /// <summary>Tasks (processes and threads: the kernel counts both) of one session.</summary>
    public int MaxProcesses { get; set; } = 96;
    /// <summary>Largest file the code may write (also caps its captured output file).</summary>
    public long MaxFileBytes { get; set; } = 64L << 20;
    /// <summary>Size of the private writable <c>/mnt/data</c> and <c>/tmp</c> (each a tmpfs).</summary>
    public long WorkDirBytes { get; set; } = 128L << 20;
    /// <summary>Size of the sandbox's <c>/dev/shm</c> (a tmpfs: POSIX semaphores and shared memory).</summary>
    public long SharedMemoryBytes { get; set; } = 16L << 20;
    /// <summary>CPU seconds the whole session may use before it is killed and restarted.</summary>
    public int SessionCpuSeconds { get; set; } = 600;
    /// <summary>
    /// How long a failed start-up check of the sandbox is trusted before the next new conversation repeats it (the
    /// cause may pass: a full process table, a missing program installed later). A passed check is kept.
    /// </summary>
    public TimeSpan AvailabilityRecheckInterval { get; set; } = TimeSpan.FromSeconds(30);
}

public sealed class BrowserOptions
{
    public bool Enabled { get; set; } = true;
    /// <summary>Folder of .md/.html/.txt documents served by <c>browser.search</c>/<c>open</c>; none: an empty corpus.</summary>
    public string? CorpusDirectory { get; set; }
    public int MaxSearchResults { get; set; } = 10;
    /// <summary>Characters shown per page view (the reference windows about 1024 tokens).</summary>
    public int ViewChars { get; set; } = 4096;
    public long MaxDocumentBytes { get; set; } = 4L << 20;
    public HttpBrowserOptions Http { get; set; } = new();
}

/// <summary>Opening web pages: off by default, and then only for allowed hosts.</summary>
public sealed class HttpBrowserOptions
{
    public bool Enabled { get; set; }
    /// <summary>Host names (<c>example.com</c>) or suffix patterns (<c>*.example.com</c>).</summary>
    public List<string> AllowedHosts { get; set; } = [];
    public long MaxPageBytes { get; set; } = 2L << 20;
    public int MaxRedirects { get; set; } = 5;
}
