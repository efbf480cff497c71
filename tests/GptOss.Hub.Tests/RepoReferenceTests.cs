namespace GptOss.Hub.Tests;

public sealed class RepoReferenceTests
{
    [Theory]
    [InlineData("openai/gpt-oss-20b", "openai/gpt-oss-20b", "main")]
    [InlineData("openai/gpt-oss-20b@v1.0", "openai/gpt-oss-20b", "v1.0")]
    [InlineData("gpt-oss-20b", "openai/gpt-oss-20b", "main")]
    [InlineData("GPT-OSS-120B@refs/pr/3", "openai/gpt-oss-120b", "refs/pr/3")]
    public void Parses_repositories_revisions_and_aliases(string text, string repo, string revision) =>
        Assert.Equal(new RepoReference(repo, revision), RepoReference.Parse(text));

    [Theory]
    [InlineData("gpt-oss")]
    [InlineData("a/b/c")]
    [InlineData("../etc/passwd")]
    [InlineData("org--x/name")]
    [InlineData("org/na..me")]
    [InlineData("org/name@")]
    [InlineData("org/name@../x")]
    [InlineData("/tmp/model")]
    public void Refuses_what_is_not_a_repository(string text)
    {
        Assert.Null(RepoReference.TryParse(text));
        Assert.Contains("expected org/name[@revision]", Assert.Throws<HubException>(() => RepoReference.Parse(text)).Message);
    }

    [Fact]
    public void The_cache_folder_name_is_the_hub_cache_s() =>
        Assert.Equal("models--openai--gpt-oss-20b", RepoReference.Parse("gpt-oss-20b").CacheFolderName);
}

public sealed class FileSelectionTests
{
    [Theory]
    [InlineData("config.json", true)]
    [InlineData("model-00000-of-00002.safetensors", true)]
    [InlineData("original/model.safetensors", false)]
    [InlineData("metal/model.bin", false)]
    public void By_default_takes_the_root_layout_only(string path, bool taken) =>
        Assert.Equal(taken, FileSelection.Default.Includes(path));

    [Fact]
    public void An_include_replaces_the_default_and_an_exclude_narrows_it()
    {
        var original = new FileSelection(["original/"], ["*.md"]);
        Assert.True(original.Includes("original/model.safetensors"));
        Assert.False(original.Includes("original/README.md"));
        Assert.False(original.Includes("config.json"));

        var everything = new FileSelection(["*"], []);
        Assert.True(everything.Includes("metal/model.bin"));

        var noMarkdown = new FileSelection([], ["*.md"]);
        Assert.False(noMarkdown.Includes("README.md"));
        Assert.False(noMarkdown.Includes("original/config.json"));
        Assert.True(noMarkdown.Includes("config.json"));
    }
}

public sealed class HubSettingsTests
{
    [Fact]
    public void Reads_the_environment_as_huggingface_hub_does()
    {
        var env = new Dictionary<string, string> { ["HF_ENDPOINT"] = "http://mirror.local:8080/", ["HF_HOME"] = "/data/hf", ["HF_TOKEN"] = "hf_abc" };
        var settings = HubSettings.From(env.GetValueOrDefault);
        Assert.Equal("http://mirror.local:8080", settings.Endpoint);
        Assert.Equal("hf_abc", settings.Token);
        Assert.Equal(Path.Combine("/data/hf", "hub"), settings.CacheRoot);

        env["HF_HUB_CACHE"] = "/fast/cache";
        Assert.Equal("/fast/cache", HubSettings.From(env.GetValueOrDefault).CacheRoot);
    }

    [Fact]
    public void Defaults_to_the_public_hub_anonymous_and_the_token_file_of_huggingface_cli_login()
    {
        using var home = new TempFolder();
        var env = new Dictionary<string, string> { ["HF_HOME"] = home.Path };
        var anonymous = HubSettings.From(env.GetValueOrDefault);
        Assert.Equal(HubSettings.PublicEndpoint, anonymous.Endpoint);
        Assert.Null(anonymous.Token);

        File.WriteAllText(Path.Combine(home.Path, "token"), "hf_saved\n");
        Assert.Equal("hf_saved", HubSettings.From(env.GetValueOrDefault).Token);
    }
}

public sealed class HubCacheTests
{
    [Fact]
    public void A_folder_passes_through_and_an_uncached_repository_names_the_pull_to_run()
    {
        using var folder = new TempFolder();
        var cache = new HubCache(Path.Combine(folder.Path, "hub"));
        Assert.Equal(folder.Path, cache.ResolveModel(folder.Path));
        Assert.Equal("/no/such/folder", cache.ResolveModel("/no/such/folder"));

        var error = Assert.Throws<HubException>(() => cache.ResolveModel("gpt-oss-20b@v2"));
        Assert.Contains("run 'gptoss pull openai/gpt-oss-20b@v2' first", error.Message);
    }

    [Fact]
    public void A_revision_resolves_through_its_ref_and_a_commit_directly()
    {
        using var folder = new TempFolder();
        var cache = new HubCache(folder.Path);
        var reference = RepoReference.Parse("openai/gpt-oss-20b");
        string commit = new('a', 40);
        Directory.CreateDirectory(cache.SnapshotFolder(reference, commit));
        cache.WriteRef(reference, commit);

        Assert.Equal(cache.SnapshotFolder(reference, commit), cache.ResolveModel("gpt-oss-20b"));
        Assert.Equal(cache.SnapshotFolder(reference, commit), cache.ResolveModel($"openai/gpt-oss-20b@{commit}"));
        Assert.Equal(["main"], cache.List().Single().Refs.Keys);
    }

    [Fact]
    public void Remove_deletes_the_repository_and_refuses_what_is_not_cached()
    {
        using var folder = new TempFolder();
        var cache = new HubCache(folder.Path);
        var reference = RepoReference.Parse("openai/gpt-oss-20b");
        Directory.CreateDirectory(Path.Combine(cache.RepoFolder(reference), "blobs"));
        File.WriteAllBytes(cache.BlobPath(reference, new string('b', 64)), new byte[10]);

        Assert.Equal(10, cache.Remove(reference));
        Assert.False(Directory.Exists(cache.RepoFolder(reference)));
        Assert.Contains("not in the hub cache", Assert.Throws<HubException>(() => cache.Remove(reference)).Message);
    }

    [Theory]
    [InlineData("../evil")]
    [InlineData("a/../../evil")]
    [InlineData("/etc/passwd")]
    [InlineData("a\\b")]
    [InlineData("x.incomplete")]
    public void A_listed_path_that_could_escape_the_snapshot_is_refused(string path) =>
        Assert.Contains("unsafe path", Assert.Throws<HubException>(() => RepoPaths.CheckFilePath(path)).Message);
}

/// <summary>A temp folder deleted with its content.</summary>
internal sealed class TempFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("gptoss-hub-").FullName;
    public void Dispose() => Directory.Delete(Path, recursive: true);
}
