namespace GptOss.Testing;

/// <summary>Where the repository and the read-only <c>../shared</c> folder (fixtures, docs) are.</summary>
internal static class TestPaths
{
    /// <summary>The repository root: the folder above the test binaries that holds GptOssAgent.sln.</summary>
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary><c>../shared</c> beside the repository, or <c>$GPTOSS_SHARED</c> when set.</summary>
    public static string SharedDir { get; } =
        Environment.GetEnvironmentVariable("GPTOSS_SHARED") is { Length: > 0 } env
            ? env
            : Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared"));

    /// <summary>A checkpoint folder of <c>shared/fixtures/gpt-oss-tiny</c> (hf-a, original-b, sharded-c).</summary>
    public static string TinyFixture(string name) => Path.Combine(SharedDir, "fixtures", "gpt-oss-tiny", name);

    /// <summary>A golden output of <c>shared/fixtures/gpt-oss-tiny/expected</c>, e.g. ("hf-a", "f32").</summary>
    public static string TinyExpected(string name, string precision) =>
        Path.Combine(SharedDir, "fixtures", "gpt-oss-tiny", "expected", $"{name}.{precision}.json");

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "GptOssAgent.sln")))
                return dir.FullName;
        throw new InvalidOperationException($"GptOssAgent.sln not found above {AppContext.BaseDirectory}");
    }
}
