using System.CommandLine;
using System.Text.Json;
using GptOss.Cli.Views;
using GptOss.Hub;
using Spectre.Console;

namespace GptOss.Cli.Commands;

/// <summary>
/// `gptoss pull REPO[@REVISION]`: downloads a model from the Hugging Face hub (HF_ENDPOINT, HF_TOKEN) into the hub cache
/// (HF_HOME), where huggingface-cli would put it. By default only the root layout the engine loads; `--include 'original/*'`
/// takes the OpenAI original layout instead, `--include '*'` everything.
/// </summary>
internal static class PullCommand
{
    public static Command Create(Func<HubSettings>? settings = null)
    {
        var repo = new Argument<string>("repo") { Description = "org/name[@revision], e.g. openai/gpt-oss-20b, or gpt-oss-20b / gpt-oss-120b" };
        var include = new Option<string[]>("--include") { Description = "Glob of files to take (repeatable); replaces the default of everything but original/* and metal/*" };
        var exclude = new Option<string[]>("--exclude") { Description = "Glob of files to leave out (repeatable)" };
        var workers = new Option<int>("--max-workers") { Description = "Files downloaded at once (as huggingface-cli's option)", DefaultValueFactory = _ => 4 };
        var json = new Option<bool>("--json") { Description = "Print the result as JSON (no progress)" };
        var command = new Command("pull", "Download a model from the Hugging Face hub into the hub cache; resumes interrupted downloads, verifies every file.");
        command.Arguments.Add(repo);
        foreach (var o in new Option[] { include, exclude, workers, json }) command.Options.Add(o);
        command.SetAction((ParseResult r, CancellationToken ct) => CommandGuard.Run(r, async () =>
        {
            var hub = (settings ?? HubSettings.FromEnvironment)();
            var reference = RepoReference.Parse(r.GetValue(repo)!);
            var selection = new FileSelection(r.GetValue(include) ?? [], r.GetValue(exclude) ?? []);
            var output = r.InvocationConfiguration.Output;
            using var client = new HubClient(hub);
            var cache = new HubCache(hub.CacheRoot);
            Task<PullResult> Pull(IPullProgress? progress) => new SnapshotPuller(client, cache, progress).PullAsync(reference, selection, r.GetValue(workers), ct);

            PullResult result;
            if (r.GetValue(json))
            {
                result = await Pull(null);
                output.WriteLine(JsonSerializer.Serialize(new
                {
                    repo = result.Reference.Repo,
                    revision = result.Reference.Revision,
                    commit = result.Commit,
                    snapshot = result.SnapshotFolder,
                    downloaded_bytes = result.DownloadedBytes,
                    files = result.Files.Select(f => new { path = f.Path, bytes = f.Size, outcome = f.Outcome.ToString().ToLowerInvariant(), downloaded_bytes = f.FetchedBytes }),
                }));
                return 0;
            }
            // Progress goes to stderr, as the other commands' progress does; stdout keeps the one result line.
            var error = r.InvocationConfiguration.Error;
            if (ReferenceEquals(error, Console.Error) && !Console.IsErrorRedirected)
                result = await AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) })
                    .Progress().AutoClear(false).HideCompleted(false)
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new DownloadedColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
                    .StartAsync(context => Pull(new SpectrePullProgress(context)));
            else
                result = await Pull(new PlainPullProgress(error));
            var counts = result.Files.GroupBy(f => f.Outcome).OrderBy(g => g.Key).Select(g => $"{g.Count()} {g.Key.ToString().ToLowerInvariant()}");
            output.WriteLine($"{result.Reference} is commit {result.Commit}: {result.Files.Count} files ({string.Join(", ", counts)}), {Bytes.Format(result.DownloadedBytes)} downloaded, in {result.SnapshotFolder}");
            return 0;
        }));
        return command;
    }
}
