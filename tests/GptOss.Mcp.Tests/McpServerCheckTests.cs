using System.Net;
using System.Net.Sockets;

namespace GptOss.Mcp.Tests;

public sealed class McpServerCheckTests
{
    private static Task<string?> Check(McpServerDefinition server) => McpServerCheck.WhyUnreachableAsync(server, TimeSpan.FromSeconds(10));

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task A_command_must_be_an_executable_file_or_on_the_path_and_its_folder_must_exist()
    {
        Assert.Null(await Check(new McpServerDefinition { Name = "s", Command = "sh" }));
        Assert.Null(await Check(new McpServerDefinition { Name = "s", Command = "/bin/sh" }));
        Assert.Equal("command 'no-such-mcp-server' not found on PATH", await Check(new McpServerDefinition { Name = "s", Command = "no-such-mcp-server" }));
        var notExecutable = Path.GetTempFileName();
        try
        {
            File.SetUnixFileMode(notExecutable, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            Assert.Equal($"command '{notExecutable}' not found", await Check(new McpServerDefinition { Name = "s", Command = notExecutable }));
        }
        finally
        {
            File.Delete(notExecutable);
        }
        Assert.Equal("command 'sh' not found on PATH",
            await Check(new McpServerDefinition { Name = "s", Command = "sh", Environment = new Dictionary<string, string> { ["PATH"] = "/nonexistent" } }));
        Assert.Equal("working folder '/nonexistent/dir' not found",
            await Check(new McpServerDefinition { Name = "s", Command = "sh", WorkingDirectory = "/nonexistent/dir" }));
    }

    [Fact]
    public async Task A_url_must_answer_http_whatever_the_status()
    {
        await using var server = await TestHttpMcpServer.StartAsync();
        Assert.Null(await Check(server.Definition(withToken: false)));        // 401 still proves it is there

        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();                                                      // a port nobody listens on
        var why = await Check(new McpServerDefinition { Name = "s", Url = new Uri($"http://127.0.0.1:{port}/mcp") });
        Assert.StartsWith($"URL http://127.0.0.1:{port}/mcp unreachable:", why);
    }
}
