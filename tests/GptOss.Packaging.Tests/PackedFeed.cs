using System.Reflection;
using GptOss.Testing;

namespace GptOss.Packaging.Tests;

/// <summary>
/// A temporary local feed holding every package of src/, packed once from the already built output with a version
/// no earlier run used, so no NuGet cache can answer with a stale package.
/// </summary>
public sealed class PackedFeed : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("gptoss-pack-").FullName;
    public string Folder => Path.Combine(Root, "feed");
    public string Version { get; }
    /// <summary>The version the build stamped into the assemblies (what gptoss prints), without the commit.</summary>
    public static string BuiltVersion { get; } =
        typeof(PackedFeed).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion.Split('+')[0];

    private static readonly string Configuration =
        typeof(PackedFeed).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()!.Configuration;

    public PackedFeed()
    {
        Version = $"{BuiltVersion}-test.{DateTime.UtcNow.Ticks}";
        // Publish (which the tool's pack runs) and the nuspecs go to the temporary folder, not into the repository.
        ChildProcess.Run(ChildProcess.Dotnet,
            ["pack", "GptOssAgent.sln", "-c", Configuration, "--no-build", "-o", Folder,
             $"-p:PackageVersion={Version}", $"-p:PublishDir={Path.Combine(Root, "publish")}/", $"-p:NuspecOutputPath={Path.Combine(Root, "nuspec")}/"],
            TestPaths.RepoRoot, TimeSpan.FromMinutes(5)).EnsureSuccess("dotnet pack");
    }

    public string Package(string id) => Path.Combine(Folder, $"{id}.{Version}.nupkg");

    public void Dispose() => Directory.Delete(Root, recursive: true);
}

/// <summary>One pack for every test of this project: packing is the slow part.</summary>
[CollectionDefinition(Name)]
public sealed class PackedFeedCollection : ICollectionFixture<PackedFeed>
{
    public const string Name = "packed feed";
}
