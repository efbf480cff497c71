using System.ComponentModel;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace GptOss.Mcp.Tests;

/// <summary>
/// An MCP server written with the C# SDK for the tests: the test assembly's entry point serves it over stdio
/// (<c>dotnet exec GptOss.Mcp.Tests.dll mcp-server</c>; the agents tests link this file and serve it the same way),
/// and <see cref="Tools"/> serve it in-process over HTTP. Its tools show what a call reached: an echo, an
/// environment variable, the server's process id, an error, a slow call.
/// </summary>
public static class TestMcpServer
{
    public const string Argument = "mcp-server";

    public static async Task<int> RunAsync()
    {
        var options = new McpServerOptions { ServerInfo = new() { Name = "gptoss-test", Version = "1.0" }, ToolCollection = [.. Tools()] };
        await using var server = McpServer.Create(new StdioServerTransport("gptoss-test"), options);
        await server.RunAsync();
        return 0;
    }

    /// <summary>How a child process runs this server: the command and its arguments.</summary>
    public static (string Command, string[] Arguments) CommandLine() =>
        ("dotnet", ["exec", typeof(TestMcpServer).Assembly.Location, Argument]);

    public static IEnumerable<McpServerTool> Tools() =>
    [
        McpServerTool.Create([Description("Echoes the message back.")] (string message) => $"Echo: {message}", new() { Name = "echo" }),
        McpServerTool.Create([Description("The value of an environment variable of the server, or (unset).")] (string name) =>
            Environment.GetEnvironmentVariable(name) ?? "(unset)", new() { Name = "env" }),
        McpServerTool.Create([Description("The server's process id.")] () => Environment.ProcessId, new() { Name = "pid" }),
        McpServerTool.Create([Description("Always fails with the reason given.")] (string reason) =>
            new CallToolResult { IsError = true, Content = [new TextContentBlock { Text = reason }] }, new() { Name = "fail" }),
        McpServerTool.Create([Description("Waits, then answers.")] async (double seconds, CancellationToken cancellationToken) =>
        {
            await Task.Delay(TimeSpan.FromSeconds(seconds), cancellationToken);
            return "done";
        }, new() { Name = "slow" }),
    ];
}
