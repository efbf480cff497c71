using GptOss.Engine.Checkpoints;
using GptOss.Testing;

namespace GptOss.Hub.Tests;

/// <summary>A temp folder holding a generated tiny checkpoint as the hub publishes gpt-oss (root layout, original/, metal/), a stand-in hub serving it, and an empty cache.</summary>
internal sealed class HubFixture : IDisposable
{
    public const string Repo = "openai/gpt-oss-tiny";
    public string Folder { get; } = Directory.CreateTempSubdirectory("gptoss-hub-").FullName;
    public StandInHub Hub { get; }
    public HubCache Cache { get; }

    public HubFixture(string repo = Repo)
    {
        var published = Path.Combine(Folder, "published");
        RandomCheckpoint.Write(published, new RandomCheckpointOptions { Preset = "tiny", Seed = 7 });
        RandomCheckpoint.Write(Path.Combine(published, "original"), new RandomCheckpointOptions { Preset = "tiny", Seed = 7, Layout = CheckpointLayout.Original });
        Directory.CreateDirectory(Path.Combine(published, "metal"));
        File.WriteAllBytes(Path.Combine(published, "metal", "model.bin"), new byte[4096]);
        File.WriteAllText(Path.Combine(published, "README.md"), "# gpt-oss-tiny\n");
        Hub = new StandInHub(repo, published);
        Cache = new HubCache(Path.Combine(Folder, "hf", "hub"));
    }

    public HubSettings Settings(string? token = null) => new() { Endpoint = Hub.Endpoint, Token = token, CacheRoot = Cache.Root };

    public async Task<PullResult> PullAsync(string reference = Repo, FileSelection? selection = null, string? token = null)
    {
        using var client = new HubClient(Settings(token));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        return await new SnapshotPuller(client, Cache).PullAsync(RepoReference.Parse(reference), selection ?? FileSelection.Default, 4, timeout.Token);
    }

    public string RepoFolder => Cache.RepoFolder(RepoReference.Parse(Repo));
    public string Pointer(string path) => Cache.PointerPath(RepoReference.Parse(Repo), Hub.Commit, path);

    public void Dispose()
    {
        Hub.Dispose();
        Directory.Delete(Folder, recursive: true);
    }
}
