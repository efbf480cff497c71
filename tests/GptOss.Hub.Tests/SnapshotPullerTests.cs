namespace GptOss.Hub.Tests;

public sealed class SnapshotPullerTests : IDisposable
{
    private readonly HubFixture _f = new();

    public void Dispose() => _f.Dispose();

    [Fact]
    public async Task Pull_lays_out_the_hub_cache_with_relative_links_and_the_ref_and_takes_only_the_root_layout()
    {
        var result = await _f.PullAsync();

        Assert.Equal(_f.Hub.Commit, File.ReadAllText(Path.Combine(_f.RepoFolder, "refs", "main")));
        var expected = _f.Hub.Files.Where(f => !f.Path.StartsWith("original/", StringComparison.Ordinal) && !f.Path.StartsWith("metal/", StringComparison.Ordinal)).ToList();
        Assert.Equal(expected.Select(f => f.Path), result.Files.Select(f => f.Path).Order(StringComparer.Ordinal));
        Assert.All(result.Files, f => Assert.Equal(PullOutcome.Downloaded, f.Outcome));
        foreach (var file in expected)
        {
            var pointer = _f.Pointer(file.Path);
            var blob = file.Lfs ? file.Sha256 : file.GitBlobId;
            Assert.Equal($"../../blobs/{blob}", new FileInfo(pointer).LinkTarget);
            Assert.Equal(file.Content, File.ReadAllBytes(pointer));
        }
        Assert.False(Directory.Exists(Path.Combine(result.SnapshotFolder, "original")));
        Assert.Empty(Directory.GetFiles(Path.Combine(_f.RepoFolder, "blobs"), "*.incomplete"));
        Assert.Equal(result.SnapshotFolder, _f.Cache.ResolveModel(HubFixture.Repo));
    }

    [Fact]
    public async Task Include_replaces_the_default_so_original_comes_on_request_with_links_two_levels_deeper()
    {
        var result = await _f.PullAsync(selection: new FileSelection(["original/*"], []));

        Assert.All(result.Files, f => Assert.StartsWith("original/", f.Path));
        Assert.Equal(_f.Hub.Files.Count(f => f.Path.StartsWith("original/", StringComparison.Ordinal)), result.Files.Count);
        var weights = _f.Hub.File("original/model.safetensors");
        Assert.Equal($"../../../blobs/{weights.Sha256}", new FileInfo(_f.Pointer(weights.Path)).LinkTarget);
    }

    [Fact]
    public async Task A_connection_dropped_mid_file_keeps_the_partial_blob_and_a_second_pull_resumes_it_with_Range()
    {
        var weights = _f.Hub.File("model.safetensors");
        _f.Hub.DropFile = weights.Path;
        _f.Hub.DropAfterBytes = weights.Content.Length / 3;

        var error = await Assert.ThrowsAsync<HubException>(() => _f.PullAsync());
        Assert.Contains("model.safetensors: download interrupted", error.Message);
        Assert.Contains("run the same pull again to resume", error.Message);
        var partial = Path.Combine(_f.RepoFolder, "blobs", weights.Sha256 + ".incomplete");
        long kept = new FileInfo(partial).Length;
        Assert.InRange(kept, 1, _f.Hub.DropAfterBytes);
        Assert.False(File.Exists(_f.Pointer(weights.Path)));
        Assert.False(File.Exists(Path.Combine(_f.RepoFolder, "refs", "main")));   // not resolvable while incomplete

        var result = await _f.PullAsync();

        Assert.Contains($"GET /cdn/{weights.Sha256} bytes={kept}-", _f.Hub.Requests);
        Assert.Equal(PullOutcome.Resumed, result.Files.Single(f => f.Path == weights.Path).Outcome);
        Assert.Equal(weights.Content.Length - kept, result.DownloadedBytes);
        Assert.Equal(PullOutcome.Cached, result.Files.Single(f => f.Path == "config.json").Outcome);
        Assert.Equal(weights.Content, File.ReadAllBytes(_f.Pointer(weights.Path)));
        Assert.False(File.Exists(partial));
    }

    [Fact]
    public async Task A_partial_download_held_by_another_pull_is_named_and_left_alone()
    {
        var weights = _f.Hub.File("model.safetensors");
        var partial = Path.Combine(_f.RepoFolder, "blobs", weights.Sha256 + ".incomplete");
        Directory.CreateDirectory(Path.GetDirectoryName(partial)!);
        File.WriteAllBytes(partial, weights.Content[..100]);
        using (new FileStream(partial, FileMode.Open, FileAccess.ReadWrite, FileShare.None))
        {
            var error = await Assert.ThrowsAsync<HubException>(() => _f.PullAsync());
            Assert.StartsWith($"model.safetensors: {partial} is in use, by another pull of the same model?", error.Message);
        }
        Assert.Equal(weights.Content[..100], File.ReadAllBytes(partial));
    }

    [Theory]
    [InlineData("model.safetensors", "sha256")]
    [InlineData("config.json", "git blob id")]
    public async Task A_corrupted_byte_is_refused_naming_the_file_and_nothing_of_it_is_left(string path, string hash)
    {
        _f.Hub.CorruptFile = path;
        var file = _f.Hub.File(path);

        var error = await Assert.ThrowsAsync<HubException>(() => _f.PullAsync());

        Assert.StartsWith($"{path}: {hash} ", error.Message);
        Assert.Contains("refused", error.Message);
        Assert.DoesNotContain('\n', error.Message);
        Assert.False(File.Exists(_f.Pointer(path)));
        Assert.False(new FileInfo(_f.Pointer(path)).Exists);
        Assert.Empty(Directory.GetFiles(Path.Combine(_f.RepoFolder, "blobs"), (file.Lfs ? file.Sha256 : file.GitBlobId) + "*"));
        Assert.False(File.Exists(Path.Combine(_f.RepoFolder, "refs", "main")));
        Assert.Throws<HubException>(() => _f.Cache.ResolveModel(HubFixture.Repo));
    }

    [Theory]
    [InlineData("model.safetensors")]
    [InlineData("config.json")]
    public async Task A_file_whose_size_differs_from_the_listing_is_refused(string path)
    {
        _f.Hub.MisSizedFile = path;

        var error = await Assert.ThrowsAsync<HubException>(() => _f.PullAsync());

        Assert.StartsWith($"{path}: the hub sends ", error.Message);
        Assert.Contains("refused", error.Message);
        Assert.False(File.Exists(_f.Pointer(path)));
        Assert.Empty(Directory.GetFiles(Path.Combine(_f.RepoFolder, "blobs"), "*.incomplete"));
    }

    [Fact]
    public async Task A_private_repository_answers_401_without_a_token_and_pulls_with_it()
    {
        _f.Hub.RequiredToken = "hf_secret";

        var error = await Assert.ThrowsAsync<HubException>(() => _f.PullAsync());
        Assert.Equal($"{HubFixture.Repo}: repository not found, or it is private or gated and needs a token (the hub answers 401 to an anonymous caller for both); check the name, or set HF_TOKEN to a token that can read it", error.Message);
        Assert.Equal(0, _f.Hub.ContentRequests);

        var wrong = await Assert.ThrowsAsync<HubException>(() => _f.PullAsync(token: "hf_other"));
        Assert.Contains("the token in HF_TOKEN cannot read it (401)", wrong.Message);

        var result = await _f.PullAsync(token: "hf_secret");
        Assert.Contains(_f.Hub.Requests, r => r.StartsWith("GET /cdn/", StringComparison.Ordinal));
        Assert.True(File.Exists(Path.Combine(result.SnapshotFolder, "model.safetensors")));
    }

    [Fact]
    public async Task An_unknown_repository_is_one_line_that_says_it_may_not_exist_or_be_private()
    {
        var error = await Assert.ThrowsAsync<HubException>(() => _f.PullAsync("openai/gpt-oss-nope"));

        Assert.StartsWith("openai/gpt-oss-nope: repository not found, or it is private or gated", error.Message);
        Assert.DoesNotContain('\n', error.Message);
        Assert.False(Directory.Exists(Path.Combine(_f.Cache.Root, "models--openai--gpt-oss-nope")));
    }

    [Fact]
    public async Task An_unknown_revision_is_named()
    {
        var error = await Assert.ThrowsAsync<HubException>(() => _f.PullAsync(HubFixture.Repo + "@v9"));
        Assert.Equal($"{HubFixture.Repo}: revision 'v9' not found (404)", error.Message);
    }

    [Fact]
    public async Task A_second_pull_of_a_cached_revision_downloads_nothing()
    {
        await _f.PullAsync();
        int before = _f.Hub.ContentRequests;

        var again = await _f.PullAsync();

        Assert.Equal(before, _f.Hub.ContentRequests);
        Assert.All(again.Files, f => Assert.Equal(PullOutcome.Cached, f.Outcome));
    }

    [Fact]
    public async Task A_model_laid_out_by_huggingface_cli_is_found_and_not_downloaded()
    {
        // The layout huggingface_hub writes: blobs named by LFS sha256 or git blob id, relative links, refs/main.
        var snapshot = _f.Pointer("");
        foreach (var file in _f.Hub.Files.Where(f => !f.Path.Contains('/')))
        {
            var blob = Path.Combine(_f.RepoFolder, "blobs", file.Lfs ? file.Sha256 : file.GitBlobId);
            Directory.CreateDirectory(Path.GetDirectoryName(blob)!);
            File.WriteAllBytes(blob, file.Content);
            Directory.CreateDirectory(snapshot);
            File.CreateSymbolicLink(Path.Combine(snapshot, file.Path), Path.GetRelativePath(snapshot, blob));
        }
        Directory.CreateDirectory(Path.Combine(_f.RepoFolder, "refs"));
        File.WriteAllText(Path.Combine(_f.RepoFolder, "refs", "main"), _f.Hub.Commit);

        Assert.Equal(Path.TrimEndingDirectorySeparator(snapshot), _f.Cache.ResolveModel("openai/gpt-oss-tiny"));
        var result = await _f.PullAsync();

        Assert.Equal(0, _f.Hub.ContentRequests);
        Assert.All(result.Files, f => Assert.Equal(PullOutcome.Cached, f.Outcome));
    }

    [Fact]
    public async Task A_blob_already_cached_for_another_path_is_linked_not_downloaded()
    {
        await _f.PullAsync();
        var weights = _f.Hub.File("model.safetensors");
        File.Delete(_f.Pointer(weights.Path));
        int before = _f.Hub.ContentRequests;

        var result = await _f.PullAsync();

        Assert.Equal(before, _f.Hub.ContentRequests);
        Assert.Equal(PullOutcome.Linked, result.Files.Single(f => f.Path == weights.Path).Outcome);
        Assert.Equal(weights.Content, File.ReadAllBytes(_f.Pointer(weights.Path)));
    }
}
