namespace GptOss.Mcp.Tests;

/// <summary>The test assembly run as a child process (<c>dotnet exec GptOss.Mcp.Tests.dll mcp-server</c>): <see cref="TestMcpServer"/> over stdio.</summary>
internal static class TestProgram
{
    public static Task<int> Main(string[] args) => TestMcpServer.RunAsync();
}
