using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using GptOss.Hub;

namespace GptOss.Cli.Views;

/// <summary>A pull's progress as plain lines, one when a download starts and one when it ends: for logs and pipes.</summary>
internal sealed class PlainPullProgress(TextWriter output) : IPullProgress
{
    private readonly ConcurrentDictionary<string, (Stopwatch Clock, long From)> _running = new(StringComparer.Ordinal);

    public void Started(RepoFile file, long resumedFrom)
    {
        _running[file.Path] = (Stopwatch.StartNew(), resumedFrom);
        Write($"downloading {file.Path} ({Bytes.Format(file.Size)}{(resumedFrom > 0 ? $", resuming at {Bytes.Format(resumedFrom)}" : "")})");
    }

    public void Advanced(RepoFile file, long bytes) { }

    public void Finished(RepoFile file, PullOutcome outcome)
    {
        if (!_running.TryRemove(file.Path, out var run))
        {
            Write($"{outcome.ToString().ToLowerInvariant()} {file.Path} ({Bytes.Format(file.Size)})");
            return;
        }
        double seconds = Math.Max(run.Clock.Elapsed.TotalSeconds, 1e-3);
        Write(string.Create(CultureInfo.InvariantCulture, $"{outcome.ToString().ToLowerInvariant()} {file.Path} ({Bytes.Format(file.Size)}) in {seconds:0.0} s, {Bytes.Format((long)((file.Size - run.From) / seconds))}/s"));
    }

    public void Failed(RepoFile file, string error)
    {
        _running.TryRemove(file.Path, out _);
        Write($"failed {file.Path}");
    }

    private void Write(string line)
    {
        lock (output) output.WriteLine(line);
    }
}
