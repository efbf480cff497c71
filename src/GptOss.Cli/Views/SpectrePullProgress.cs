using System.Collections.Concurrent;
using GptOss.Hub;
using Spectre.Console;

namespace GptOss.Cli.Views;

/// <summary>A pull's progress on a terminal: a bar per downloading file with bytes, speed and time left (Spectre.Console).</summary>
internal sealed class SpectrePullProgress(ProgressContext context) : IPullProgress
{
    private readonly ConcurrentDictionary<string, ProgressTask> _tasks = new(StringComparer.Ordinal);

    public void Started(RepoFile file, long resumedFrom)
    {
        var task = context.AddTask(Markup.Escape(file.Path), maxValue: Math.Max(file.Size, 1));
        task.Increment(resumedFrom);
        _tasks[file.Path] = task;
    }

    public void Advanced(RepoFile file, long bytes)
    {
        if (_tasks.TryGetValue(file.Path, out var task)) task.Increment(bytes);
    }

    public void Finished(RepoFile file, PullOutcome outcome)
    {
        if (_tasks.TryGetValue(file.Path, out var task)) task.Value = task.MaxValue;
    }

    public void Failed(RepoFile file, string error)
    {
        if (!_tasks.TryGetValue(file.Path, out var task)) return;
        task.Description = $"[red]{Markup.Escape(file.Path)} failed[/]";
        task.StopTask();
    }
}
