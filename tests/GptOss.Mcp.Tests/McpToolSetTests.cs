using System.Diagnostics;
using GptOss.Harmony;
using GptOss.Tools;

namespace GptOss.Mcp.Tests;

public sealed class McpToolSetTests
{
    private static McpServerDefinition Stdio(string name = "test", bool inheritEnvironment = false, Dictionary<string, string>? environment = null)
    {
        var (command, arguments) = TestMcpServer.CommandLine();
        return new McpServerDefinition
        {
            Name = name,
            Command = command,
            Arguments = arguments,
            InheritEnvironment = inheritEnvironment,
            Environment = environment ?? [],
        };
    }

    private static ToolsOptions Limits(double seconds = 60, int maxOutputChars = 16_000) =>
        new() { TimeLimit = TimeSpan.FromSeconds(seconds), MaxOutputChars = maxOutputChars };

    private static Message Call(string function, string json) =>
        new(new Author(Role.Assistant, null), [new TextContent(json)]) { Recipient = $"functions.{function}", Channel = "commentary" };

    private static async Task<string> Run(McpToolSet tools, string function, string json)
    {
        var reply = Assert.Single(await tools.ExecuteAsync(Call(function, json), function, CancellationToken.None));
        Assert.Equal(new Author(Role.Tool, $"functions.{function}"), reply.Author);
        Assert.Equal(("assistant", "commentary"), (reply.Recipient, reply.Channel));
        return reply.Text!;
    }

    [Fact]
    public async Task A_csharp_sdk_server_over_stdio_offers_its_tools_as_functions_with_their_schemas_and_answers_calls()
    {
        await using var tools = new McpToolSet([Stdio()], Limits());
        Assert.Empty(tools.Functions);                                        // nothing starts before it is asked to

        await tools.StartAsync();

        var echo = Assert.Single(tools.Functions, f => f.Name == "test_echo");
        Assert.Equal("Echoes the message back.", echo.Description);
        Assert.Equal("string", (string?)echo.Parameters!["properties"]!["message"]!["type"]);
        Assert.Equal(["test_echo", "test_env", "test_fail", "test_pid", "test_slow"], tools.Functions.Select(f => f.Name).Order());
        Assert.True(tools.Handles("test_echo"));
        Assert.False(tools.Handles("echo"));
        Assert.Equal("Echo: hello", await Run(tools, "test_echo", "{\"message\": \"hello\"}"));
    }

    [Fact]
    public async Task The_host_environment_reaches_a_stdio_server_only_with_inherit_env()
    {
        const string secret = "GPTOSS_MCP_TEST_HOST_SECRET";
        Environment.SetEnvironmentVariable(secret, "host-only");
        Dictionary<string, string> configured = new() { ["GPTOSS_MCP_TEST_CONFIGURED"] = "given" };
        await using var isolated = new McpToolSet([Stdio(environment: configured)], Limits());
        await using var inheriting = new McpToolSet([Stdio(inheritEnvironment: true, environment: configured)], Limits());
        await Task.WhenAll(isolated.StartAsync(), inheriting.StartAsync());

        Assert.Equal("(unset)", await Run(isolated, "test_env", $"{{\"name\": \"{secret}\"}}"));
        Assert.Equal("host-only", await Run(inheriting, "test_env", $"{{\"name\": \"{secret}\"}}"));
        Assert.Equal("given", await Run(isolated, "test_env", "{\"name\": \"GPTOSS_MCP_TEST_CONFIGURED\"}"));
        Assert.Equal("given", await Run(inheriting, "test_env", "{\"name\": \"GPTOSS_MCP_TEST_CONFIGURED\"}"));
    }

    [Fact]
    public async Task Disposing_the_tool_set_stops_the_server_process()
    {
        var tools = new McpToolSet([Stdio()], Limits());
        await tools.StartAsync();
        var pid = int.Parse(await Run(tools, "test_pid", "{}"));
        using var server = Process.GetProcessById(pid);

        await tools.DisposeAsync();

        Assert.True(server.HasExited, $"MCP server process {pid} still runs after the tool set was disposed");
    }

    [Fact]
    public async Task Disposing_stops_a_server_started_through_a_launcher_with_the_launcher()
    {
        // npx and shell wrappers start the real server as their child: it must not outlive the launcher.
        var (command, arguments) = TestMcpServer.CommandLine();
        var launched = new McpServerDefinition { Name = "test", Command = "/bin/sh", Arguments = ["-c", $"{command} {string.Join(' ', arguments)}; exit 0"] };
        var tools = new McpToolSet([launched], Limits());
        await tools.StartAsync();
        var pid = int.Parse(await Run(tools, "test_pid", "{}"));
        using var server = Process.GetProcessById(pid);

        await tools.DisposeAsync();

        Assert.True(server.HasExited, $"MCP server process {pid}, a child of its launcher, still runs after the tool set was disposed");
    }

    [Fact]
    public async Task A_tool_error_bad_arguments_a_slow_call_and_a_long_result_become_replies_the_model_can_read()
    {
        await using var tools = new McpToolSet([Stdio()], Limits(seconds: 1, maxOutputChars: 200));
        await tools.StartAsync();

        Assert.Contains("disk on fire", await Run(tools, "test_fail", "{\"reason\": \"disk on fire\"}"));
        Assert.Contains("not valid JSON", await Run(tools, "test_echo", "{\"message\": "));
        Assert.Contains("must be a JSON object", await Run(tools, "test_echo", "[1, 2]"));
        Assert.Contains("timed out", await Run(tools, "test_slow", "{\"seconds\": 30}"));
        var cut = await Run(tools, "test_echo", $"{{\"message\": \"{new string('x', 300)}\"}}");
        Assert.StartsWith("Echo: xxx", cut);
        Assert.Contains("output truncated", cut);
        Assert.Contains("no MCP tool named functions.test_nope", await Run(tools, "test_nope", "{}"));
    }

    [Fact]
    public async Task A_server_that_cannot_start_is_named_with_the_cause_and_nothing_is_left_running()
    {
        await using var missing = new McpToolSet([new McpServerDefinition { Name = "ghost", Command = "/nonexistent/mcp-server" }], Limits());
        var e = await Assert.ThrowsAsync<McpServerException>(() => missing.StartAsync());
        Assert.StartsWith("MCP server 'ghost' (/nonexistent/mcp-server) could not start:", e.Message);

        var crashing = new McpServerDefinition { Name = "crash", Command = "/bin/sh", Arguments = ["-c", "echo 'bad flag --frobnicate' >&2; exit 3"] };
        await using var crashed = new McpToolSet([crashing, Stdio()], Limits());
        e = await Assert.ThrowsAsync<McpServerException>(() => crashed.StartAsync());
        Assert.StartsWith("MCP server 'crash'", e.Message);
        Assert.Contains("bad flag --frobnicate", e.Message);
    }

    [Fact]
    public async Task A_streamable_http_server_gets_the_configured_headers()
    {
        await using var server = await TestHttpMcpServer.StartAsync();
        await using var tools = new McpToolSet([server.Definition()], Limits());
        await tools.StartAsync();
        Assert.Equal("Echo: over http", await Run(tools, "web_echo", "{\"message\": \"over http\"}"));

        await using var refused = new McpToolSet([server.Definition(withToken: false)], Limits());
        var e = await Assert.ThrowsAsync<McpServerException>(() => refused.StartAsync());
        Assert.StartsWith($"MCP server 'web' ({server.Url}) could not start:", e.Message);
    }

    [ServerEverythingFact]
    public async Task The_reference_server_everything_from_npm_echoes_and_adds()
    {
        await using var tools = new McpToolSet([ServerEverything.Definition()], Limits());
        await tools.StartAsync();

        Assert.Contains(tools.Functions, f => f.Name == "everything_get-sum" && f.Parameters!["properties"]!["a"] is not null);
        Assert.Equal("Echo: from gptoss", await Run(tools, "everything_echo", "{\"message\": \"from gptoss\"}"));
        Assert.Contains("5", await Run(tools, "everything_get-sum", "{\"a\": 2, \"b\": 3}"));
    }
}
