using System.CommandLine;
using System.Text.Json.Nodes;
using GptOss.Cli.Commands;
using GptOss.Engine.Checkpoints;
using GptOss.Hub;
using GptOss.Testing;

namespace GptOss.Cli.Tests;

/// <summary>`gptoss pull|ls|show|rm` against a stand-in hub serving a generated tiny checkpoint, with a cache in a temp folder.</summary>
public sealed class ModelStoreCommandTests : IDisposable
{
    private const string Repo = "openai/gpt-oss-tiny";
    private readonly string _dir = Directory.CreateTempSubdirectory("gptoss-store-cli-").FullName;
    private readonly StandInHub _hub;
    private string? _token;

    public ModelStoreCommandTests()
    {
        RandomCheckpoint.Write(Published, new RandomCheckpointOptions { Preset = "tiny", Seed = 3 });
        RandomCheckpoint.Write(Path.Combine(Published, "original"), new RandomCheckpointOptions { Preset = "tiny", Seed = 3, Layout = CheckpointLayout.Original });
        _hub = new StandInHub(Repo, Published);
    }

    public void Dispose()
    {
        _hub.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private string Published => Path.Combine(_dir, "published");
    private string CacheRoot => Path.Combine(_dir, "hf", "hub");
    private HubSettings Settings() => new() { Endpoint = _hub.Endpoint, Token = _token, CacheRoot = CacheRoot };

    private Task<(int Exit, string Out, string Err)> Run(params string[] args) => CommandRun.Invoke(
        [PullCommand.Create(Settings), ModelStoreCommands.List(Settings), ModelStoreCommands.Show(Settings), ModelStoreCommands.Remove(Settings)], args);

    private async Task<JsonNode> RunJson(params string[] args)
    {
        var (exit, output, error) = await Run(args);
        Assert.True(exit == 0, $"exit {exit}: {error}");
        Assert.Equal("", error);
        return JsonNode.Parse(output)!;
    }

    private async Task<string> RunError(params string[] args)
    {
        var (exit, output, error) = await Run(args);
        Assert.Equal(1, exit);
        Assert.Equal("", output);
        var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: ", line);
        return line;
    }

    [Fact]
    public async Task Pull_prints_plain_lines_when_not_on_a_terminal_and_a_second_pull_downloads_nothing()
    {
        var (exit, output, error) = await Run("pull", Repo);

        Assert.True(exit == 0, error);
        Assert.Contains("downloading model.safetensors (", error);
        Assert.Matches(@"downloaded model\.safetensors \(.*\) in \d+\.\d s, .*/s", error);
        Assert.DoesNotContain("original/", error);
        Assert.StartsWith($"{Repo} is commit {_hub.Commit}: 2 files (2 downloaded), ", Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries)));

        int downloads = _hub.ContentRequests;
        var again = await RunJson("pull", "openai/gpt-oss-tiny@main", "--json");
        Assert.Equal(downloads, _hub.ContentRequests);
        Assert.Equal(0, (long)again["downloaded_bytes"]!);
        Assert.All(again["files"]!.AsArray(), f => Assert.Equal("cached", (string)f!["outcome"]!));
        Assert.Equal(_hub.Commit, (string)again["commit"]!);
    }

    [Fact]
    public async Task Pull_include_takes_the_original_layout()
    {
        var result = await RunJson("pull", Repo, "--include", "original/*", "--json");
        var paths = result["files"]!.AsArray().Select(f => (string)f!["path"]!).Order(StringComparer.Ordinal);
        Assert.Equal(["original/config.json", "original/dtypes.json", "original/model.safetensors"], paths);
    }

    [Fact]
    public async Task Pull_of_an_unknown_or_private_repository_is_one_error_line_saying_both()
    {
        Assert.Equal("error: openai/gpt-oss-nope: repository not found, or it is private or gated and needs a token (the hub answers 401 to an anonymous caller for both); check the name, or set HF_TOKEN to a token that can read it",
            await RunError("pull", "openai/gpt-oss-nope"));

        _hub.RequiredToken = "hf_secret";
        Assert.Contains("set HF_TOKEN", await RunError("pull", Repo));
        _token = "hf_secret";
        await RunJson("pull", Repo, "--json");
    }

    [Fact]
    public async Task Pull_refuses_a_corrupted_file_naming_it()
    {
        _hub.CorruptFile = "model.safetensors";
        var (exit, output, error) = await Run("pull", Repo);
        Assert.Equal(1, exit);
        Assert.Equal("", output);
        var line = error.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1];
        Assert.Contains("failed model.safetensors", error);
        Assert.StartsWith("error: model.safetensors: sha256 ", line);
        Assert.Contains("refused", line);
    }

    [Fact]
    public async Task A_pulled_repository_id_runs_wherever_a_model_folder_is_taken()
    {
        await RunJson("pull", Repo, "--json");

        // A child process, so the cache comes from HF_HUB_CACHE as for a user (and no other test sees the variable).
        var gptoss = new System.Diagnostics.ProcessStartInfo("dotnet")
        {
            ArgumentList = { "exec", Path.Combine(AppContext.BaseDirectory, "gptoss.dll"), "model", "generate", "--model", Repo, "--tokens", "1,2,3", "--max-new-tokens", "2" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment = { ["HF_HUB_CACHE"] = CacheRoot },
        };
        using var child = System.Diagnostics.Process.Start(gptoss)!;
        var output = await child.StandardOutput.ReadToEndAsync();
        var error = await child.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await child.WaitForExitAsync(limit.Token);

        Assert.True(child.ExitCode == 0, error);
        Assert.Equal(2, JsonNode.Parse(output)!["tokens"]!.AsArray().Count);
    }

    [Fact]
    public async Task Ls_lists_the_cache_and_rm_empties_it()
    {
        Assert.Contains("no models in", (await Run("ls")).Out);
        await RunJson("pull", Repo, "--json");

        var listed = Assert.Single((await RunJson("ls", "--json")).AsArray())!;
        Assert.Equal(Repo, (string)listed["repo"]!);
        Assert.Equal(_hub.Commit, (string)listed["refs"]!["main"]!);
        Assert.Equal(_hub.Files.Where(f => !f.Path.Contains('/')).Sum(f => (long)f.Content.Length), (long)listed["size_on_disk"]!);
        var table = (await Run("ls")).Out.Split('\n');
        Assert.StartsWith("REPO", table[0]);
        Assert.StartsWith($"{Repo}  main {_hub.Commit[..7]}", table[1]);

        var removed = await RunJson("rm", Repo, "--json");
        Assert.Equal((long)listed["size_on_disk"]!, (long)removed["bytes_freed"]!);
        Assert.Empty((await RunJson("ls", "--json")).AsArray());
        Assert.Contains("not in the hub cache", await RunError("rm", Repo));
    }

    [Fact]
    public async Task Show_gives_weights_by_dtype_and_the_kv_cache_for_a_context_and_parallel_sequences()
    {
        var shown = await RunJson("show", Published, "--context", "8192", "--parallel", "2", "--json");

        // tiny: 2 layers (one sliding, window 4), 2 kv heads of 16: 2 (k, v) × 2 × 16 × 2 bytes = 128 bytes per layer and
        // position; sliding layer min(8192, 4 + 256) positions, full layer 8192; two sequences.
        Assert.Equal(128L * (260 + 8192) * 2, (long)shown["memory"]!["kv_cache_bytes"]!);
        long weights = shown["bytes_by_dtype"]!.AsObject().Sum(p => (long)p.Value!);
        Assert.Equal(weights, (long)shown["memory"]!["weights_bytes"]!);
        Assert.Equal(weights + 128L * (260 + 8192) * 2, (long)shown["memory"]!["total_bytes"]!);
        Assert.Equal("huggingface", (string)shown["layout"]!);

        var plain = (await Run("show", Published)).Out;
        Assert.Contains($"parameters  {(long)shown["parameters"]!:N0}\n", plain);
        Assert.Contains($"kv cache    {Bytes.Format(128L * (260 + 4096))} (bf16) for 4096 positions x 1 sequence(s)", plain);
        Assert.Contains("--context 0: at least 1 position", await RunError("show", Published, "--context", "0"));
    }

    [Fact]
    public async Task Show_resolves_a_repository_from_the_cache_and_names_the_pull_when_it_is_missing()
    {
        Assert.Contains("run 'gptoss pull openai/gpt-oss-tiny' first", await RunError("show", Repo));

        // A snapshot of copies, as huggingface_hub writes where symlinks are not allowed.
        var cache = new HubCache(CacheRoot);
        var reference = RepoReference.Parse(Repo);
        foreach (var file in Directory.GetFiles(Published))
        {
            Directory.CreateDirectory(cache.SnapshotFolder(reference, _hub.Commit));
            File.Copy(file, Path.Combine(cache.SnapshotFolder(reference, _hub.Commit), Path.GetFileName(file)));
        }
        cache.WriteRef(reference, _hub.Commit);

        var shown = await RunJson("show", "openai/gpt-oss-tiny", "--json");
        Assert.Equal(cache.SnapshotFolder(reference, _hub.Commit), (string)shown["directory"]!);
    }
}
