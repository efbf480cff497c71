using System.Diagnostics;
using System.Security.Cryptography;
using GptOss.Engine.Checkpoints;

namespace GptOss.Engine.Tests;

/// <summary>
/// Checkpoint files reached through links: the Hugging Face cache's snapshot → blob layout loads as the plain folder
/// does, and a link to something that is not a regular file is one error naming the file. A load that would block on
/// a FIFO is bounded by a wait.
/// </summary>
public sealed class CheckpointLinkTests
{
    private static readonly int[] Prompt = [3, 141, 59, 265, 358, 979, 323, 846];
    private static readonly TimeSpan OpenBound = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task A_hugging_face_cache_snapshot_of_links_to_blobs_gives_the_plain_folders_logits(int shards)
    {
        using var dir = new TempDirectory();
        var options = new RandomCheckpointOptions { Layers = 2, Seed = 11, Shards = shards };
        RandomCheckpoint.Write(dir["plain"], options);
        var snapshot = CacheSnapshotOf(dir["plain"], Path.Combine(dir.Path, "hub", "models--openai--tiny"));
        Assert.All(Directory.GetFiles(snapshot), f => Assert.NotNull(new FileInfo(f).LinkTarget));

        float[][] plain, linked;
        using (var engine = GptOssEngine.Load(dir["plain"], new EngineOptions { DType = ActivationDType.Float32 }))
            plain = await engine.ComputeLogitsAsync(Prompt);
        using (var engine = GptOssEngine.Load(snapshot, new EngineOptions { DType = ActivationDType.Float32 }))
            linked = await engine.ComputeLogitsAsync(Prompt);

        Assert.Equal(plain, linked);
    }

    [Theory]
    [InlineData("model-00000-of-00001.safetensors", "/dev/zero", "safetensors file is a character device, not a regular file")]
    [InlineData("model-00001-of-00001.safetensors", "fifo", "safetensors file is a FIFO, not a regular file")]
    [InlineData(Checkpoint.IndexFileName, "fifo", "index file is a FIFO, not a regular file")]
    [InlineData("config.json", "fifo", "config file is a FIFO, not a regular file")]
    public async Task A_link_to_something_other_than_a_regular_file_is_one_error_naming_the_file(string file, string target, string expected)
    {
        using var dir = new TempDirectory();
        RandomCheckpoint.Write(dir["model"], new RandomCheckpointOptions { Layers = 1, Seed = 3, Shards = 2 });
        if (target == "fifo")
        {
            target = dir["fifo"];
            Run("mkfifo", target);
        }
        var path = Path.Combine(dir["model"], file);
        File.Delete(path);
        File.CreateSymbolicLink(path, target);

        var open = Task.Run(() => Checkpoint.Open(dir["model"]));
        var error = await Assert.ThrowsAsync<CheckpointException>(() => open.WaitAsync(OpenBound));
        Assert.Equal($"{path} (a link to {target}): {expected}", error.Message);
    }

    /// <summary>
    /// Lays <paramref name="folder"/>'s files out as the Hugging Face cache does: each file's bytes in
    /// <c>blobs/SHA256</c> and <c>snapshots/REV/NAME</c> a relative link to it. Returns the snapshot folder.
    /// </summary>
    private static string CacheSnapshotOf(string folder, string repo)
    {
        var blobs = Directory.CreateDirectory(Path.Combine(repo, "blobs")).FullName;
        var snapshot = Directory.CreateDirectory(Path.Combine(repo, "snapshots", "0123456789abcdef")).FullName;
        foreach (var file in Directory.GetFiles(folder))
        {
            string hash;
            using (var stream = File.OpenRead(file))
                hash = Convert.ToHexStringLower(SHA256.HashData(stream));
            File.Copy(file, Path.Combine(blobs, hash));
            File.CreateSymbolicLink(Path.Combine(snapshot, Path.GetFileName(file)), Path.Combine("..", "..", "blobs", hash));
        }
        return snapshot;
    }

    private static void Run(string program, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(program, arguments) { RedirectStandardError = true })!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', arguments)}: {error}");
    }
}
