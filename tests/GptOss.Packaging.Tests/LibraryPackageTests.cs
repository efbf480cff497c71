using System.IO.Compression;
using GptOss.Testing;

namespace GptOss.Packaging.Tests;

/// <summary>The libraries as an app outside this repository gets them: PackageReference from a feed, nothing else.</summary>
[Collection(PackedFeedCollection.Name)]
public sealed class LibraryPackageTests(PackedFeed feed)
{
    private static readonly string[] Libraries =
        ["GptOss.Harmony", "GptOss.Constraints", "GptOss.Generation", "GptOss.Engine", "GptOss.Remote", "GptOss.SemanticKernel", "GptOss.Tools", "GptOss.Agents", "GptOss.Hub"];

    [Fact]
    public void Every_library_package_has_its_readme_and_a_description()
    {
        foreach (var id in Libraries)
        {
            using var package = ZipFile.OpenRead(feed.Package(id));
            Assert.NotNull(package.GetEntry("README.md"));
            using var nuspec = new StreamReader(package.GetEntry($"{id}.nuspec")!.Open());
            var text = nuspec.ReadToEnd();
            Assert.Contains("<readme>README.md</readme>", text);
            Assert.DoesNotContain("<description>Package Description</description>", text);
        }
    }

    [Fact]
    public void Console_app_referencing_the_engine_package_builds_and_generates()
    {
        var app = Directory.CreateDirectory(Path.Combine(feed.Root, "app")).FullName;
        WriteConsoleApp(app);

        // Packages restore into a folder of this run (so nothing cached hides a packaging bug); the machine's
        // packages folder is only a fallback for the third-party packages, TorchSharp's ~1 GB above all.
        var packages = Path.Combine(feed.Root, "packages");
        var machinePackages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } env
            ? env
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        File.WriteAllText(Path.Combine(app, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <config><add key="globalPackagesFolder" value="{packages}" /></config>
              <packageSources><add key="gptoss-local" value="{feed.Folder}" /></packageSources>
              <fallbackPackageFolders><add key="machine" value="{machinePackages}" /></fallbackPackageFolders>
            </configuration>
            """);

        ChildProcess.Run(ChildProcess.Dotnet, ["build", "-c", "Release", "-o", Path.Combine(app, "out")], app,
            TimeSpan.FromMinutes(4), new Dictionary<string, string> { ["NUGET_PACKAGES"] = packages }).EnsureSuccess("dotnet build of the console app");
        Assert.True(Directory.Exists(Path.Combine(packages, "gptoss.engine", feed.Version.ToLowerInvariant())),
            "GptOss.Engine was not restored from the local feed");

        var run = ChildProcess.Run(ChildProcess.Dotnet, [Path.Combine(app, "out", "app.dll"), TestPaths.TinyFixture("hf-a")], app,
            TimeSpan.FromMinutes(1)).EnsureSuccess("the console app");
        Assert.Equal(2, run.Output.Split('\n').Count(line => line.StartsWith("token ", StringComparison.Ordinal)));
    }

    private void WriteConsoleApp(string folder)
    {
        // Empty MSBuild files stop the search for a Directory.Build.* above the temporary folder.
        File.WriteAllText(Path.Combine(folder, "Directory.Build.props"), "<Project />");
        File.WriteAllText(Path.Combine(folder, "Directory.Build.targets"), "<Project />");
        File.WriteAllText(Path.Combine(folder, "app.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="GptOss.Engine" Version="{feed.Version}" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(folder, "Program.cs"), """
            using GptOss.Engine;
            using GptOss.Generation;

            using var engine = GptOssEngine.Load(args[0]);
            await foreach (var token in engine.GenerateAsync([1, 2, 3], new GenerationOptions { MaxNewTokens = 2, Temperature = 0 }))
                Console.WriteLine($"token {token.Id}");
            """);
    }
}
