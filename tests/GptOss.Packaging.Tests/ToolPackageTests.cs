using System.IO.Compression;
using System.Text.Json;
using GptOss.Testing;

namespace GptOss.Packaging.Tests;

/// <summary>The CLI as users install it: <c>dotnet tool install GptOss.Cli</c> from a feed, then <c>gptoss</c>.</summary>
[Collection(PackedFeedCollection.Name)]
public sealed class ToolPackageTests(PackedFeed feed)
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(2);

    [Fact]
    public void Installed_tool_prints_its_version_and_generates_on_a_tiny_checkpoint()
    {
        var toolPath = Path.Combine(feed.Root, "tools");
        ChildProcess.Run(ChildProcess.Dotnet,
            ["tool", "install", "GptOss.Cli", "--tool-path", toolPath, "--add-source", feed.Folder, "--version", feed.Version],
            feed.Root, CommandTimeout).EnsureSuccess("dotnet tool install");
        var gptoss = Path.Combine(toolPath, "gptoss");

        var version = ChildProcess.Run(gptoss, ["--version"], feed.Root, CommandTimeout).EnsureSuccess("gptoss --version");
        Assert.StartsWith(PackedFeed.BuiltVersion + "+", version.Output.Trim());

        var model = Path.Combine(feed.Root, "tiny");
        ChildProcess.Run(gptoss, ["model", "make-random", "--out", model, "--preset", "tiny"], feed.Root, CommandTimeout)
            .EnsureSuccess("gptoss model make-random");
        // Loading TorchSharp is what needs the patched libLibTorchSharp.so on Debian 12 / Ubuntu 22.04.
        var generate = ChildProcess.Run(gptoss,
            ["model", "generate", "--model", model, "--tokens", "1,2,3", "--max-new-tokens", "2", "--temperature", "0"],
            feed.Root, CommandTimeout).EnsureSuccess("gptoss model generate");
        using var answer = JsonDocument.Parse(generate.Output.Trim().Split('\n')[^1]);
        Assert.Equal(2, answer.RootElement.GetProperty("tokens").GetArrayLength());
    }

    [Fact]
    public void Tool_package_carries_its_settings_agents_and_readme()
    {
        using var package = ZipFile.OpenRead(feed.Package("GptOss.Cli"));
        var entries = package.Entries.Select(e => e.FullName).ToHashSet();

        Assert.Contains("README.md", entries);
        Assert.Contains("tools/net10.0/any/appsettings.json", entries);
        Assert.Contains("tools/net10.0/any/runtimes/linux-x64/native/libLibTorchSharp.so", entries);
        var agents = Directory.GetFiles(Path.Combine(TestPaths.RepoRoot, "agents"), "*", SearchOption.AllDirectories)
            .Select(f => "tools/net10.0/any/agents/" + Path.GetRelativePath(Path.Combine(TestPaths.RepoRoot, "agents"), f).Replace('\\', '/'));
        Assert.All(agents, agent => Assert.Contains(agent, entries));
    }
}
