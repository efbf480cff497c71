using GptOss.Testing;

namespace GptOss.Mcp.Tests;

/// <summary>
/// npm's <c>@modelcontextprotocol/server-everything</c>, the reference test server: ./test.sh installs it under
/// <c>tests/GptOss.Mcp.Tests/npm</c> where npm exists; run with <c>node</c> from the PATH.
/// </summary>
internal static class ServerEverything
{
    public static string Entry { get; } = Path.Combine(TestPaths.RepoRoot, "tests", "GptOss.Mcp.Tests", "npm",
        "node_modules", "@modelcontextprotocol", "server-everything", "dist", "index.js");

    /// <summary>Why it cannot run here, or null.</summary>
    public static string? WhyMissing { get; } = FindWhyMissing();

    public static McpServerDefinition Definition(string name = "everything") => new()
    {
        Name = name,
        Command = "node",
        Arguments = [Entry, "stdio"],
    };

    private static string? FindWhyMissing()
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        if (!path.Split(':', StringSplitOptions.RemoveEmptyEntries).Any(dir => File.Exists(Path.Combine(dir, "node"))))
            return "node is not on the PATH";
        return File.Exists(Entry) ? null : $"{Entry} is missing: run ./test.sh (it installs the server with npm where npm exists)";
    }
}

/// <summary>A test that needs <see cref="ServerEverything"/>: skipped, with the reason, where it cannot run.</summary>
public sealed class ServerEverythingFactAttribute : FactAttribute
{
    public ServerEverythingFactAttribute()
    {
        if (ServerEverything.WhyMissing is { } reason) Skip = $"@modelcontextprotocol/server-everything unavailable: {reason}";
    }
}
