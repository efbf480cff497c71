namespace GptOss.Tools.Python;

/// <summary>
/// Whether new conversations get the python tool. A passed sandbox check is kept; a failed one is repeated once
/// <paramref name="recheckInterval"/> has passed, so a host whose check failed for a passing cause (a full
/// process table) does not stay without python for its whole life.
/// </summary>
internal sealed class PythonAvailability(Func<string?> check, TimeSpan recheckInterval)
{
    private readonly Lock _lock = new();
    private bool _passed;
    private string? _failure;
    private long _failedAt;

    /// <summary>Why python cannot run, or null when it can.</summary>
    public string? WhyUnavailable()
    {
        lock (_lock)
        {
            if (_passed) return null;
            if (_failure is not null && Environment.TickCount64 - _failedAt < recheckInterval.TotalMilliseconds) return _failure;
            _failure = check();
            _failedAt = Environment.TickCount64;
            _passed = _failure is null;
            return _failure;
        }
    }
}
