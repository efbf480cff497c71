using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using GptOss.Cli.Commands;
using GptOss.Testing;
using GptOss.Tools;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace GptOss.Cli.Tests;

/// <summary>`gptoss mcp serve` run as a child process (the built CLI) and driven by the C# SDK's MCP client.</summary>
public sealed class McpServeTests : IDisposable
{
    private static readonly string Gptoss = Path.Combine(AppContext.BaseDirectory, "gptoss.dll");
    private static readonly string Corpus = Path.Combine(TestPaths.RepoRoot, "agents", "corpus");

    private readonly string _dir = Directory.CreateTempSubdirectory("gptoss-mcp-serve-").FullName;
    private readonly string _settings;

    public McpServeTests()
    {
        _settings = Path.Combine(_dir, "appsettings.json");
        File.WriteAllText(_settings, $$"""{ "Tools": { "Browser": { "CorpusDirectory": {{JsonSerializer.Serialize(Corpus)}} } } }""");
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Text(CallToolResult result) => string.Concat(result.Content.OfType<TextContentBlock>().Select(b => b.Text));

    [Fact]
    public async Task Over_stdio_an_mcp_client_lists_our_tools_with_our_schemas_and_calls_them()
    {
        var transport = new StdioClientTransport(new StdioClientTransportOptions
        {
            Name = "gptoss",
            Command = "dotnet",
            Arguments = ["exec", Gptoss, "mcp", "serve", "--tools", "javascript,browser", "--config", _settings],
        });
        await using var client = await McpClient.CreateAsync(transport);

        var tools = await client.ListToolsAsync();

        Assert.Equal(["browser_find", "browser_open", "browser_search", "javascript"], tools.Select(t => t.Name).Order());
        await using var executor = new ToolExecutorFactory(new ToolsOptions { Browser = new BrowserOptions { CorpusDirectory = Corpus } }).Create();
        var ours = executor.Namespaces.Single(n => n.Name == "browser").Tools.Single(t => t.Name == "search");
        var served = tools.Single(t => t.Name == "browser_search");
        Assert.True(JsonNode.DeepEquals(ours.Parameters, JsonNode.Parse(served.JsonSchema.GetRawText())), served.JsonSchema.GetRawText());
        Assert.Equal(ours.Description, served.Description);
        Assert.Equal(executor.Namespaces.Single(n => n.Name == "javascript").Description, tools.Single(t => t.Name == "javascript").Description);

        Assert.Equal("42", Text(await client.CallToolAsync("javascript", new Dictionary<string, object?> { ["code"] = "console.log(6 * 7)" })).Trim());
        Assert.Contains("KV cache and prefix reuse",
            Text(await client.CallToolAsync("browser_search", new Dictionary<string, object?> { ["query"] = "KV cache prefix reuse" })));
        var missing = await client.CallToolAsync("javascript", new Dictionary<string, object?>());
        Assert.True(missing.IsError);
        Assert.Equal("'javascript' needs the argument 'code' (a string).", Text(missing));
    }

    [Fact]
    public async Task With_urls_it_serves_streamable_http_at_mcp()
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, RedirectStandardInput = true };
        foreach (var arg in new[] { "exec", Gptoss, "mcp", "serve", "--tools", "javascript", "--urls", "http://127.0.0.1:0", "--config", _settings })
            info.ArgumentList.Add(arg);
        using var server = Process.Start(info)!;
        try
        {
            var banner = await server.StandardError.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
            var url = System.Text.RegularExpressions.Regex.Match(banner ?? "", @"http://127\.0\.0\.1:\d+/mcp").Value;
            Assert.True(url.Length > 0, $"no URL in: {banner}");
            await using var client = await McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions
            {
                Endpoint = new Uri(url),
                TransportMode = HttpTransportMode.StreamableHttp,
            }));

            Assert.Equal(["javascript"], (await client.ListToolsAsync()).Select(t => t.Name));
            Assert.Equal("7", Text(await client.CallToolAsync("javascript", new Dictionary<string, object?> { ["code"] = "console.log(3 + 4)" })).Trim());
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
        }
    }

    [Fact]
    public async Task An_agent_of_gptoss_run_calls_gptoss_mcp_serve_named_in_Mcp_Servers_under_the_Tools_limits()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "agents"));
        File.WriteAllText(Path.Combine(_dir, "agents", "coder.yaml"), "name: coder\ninstructions: Compute.\nmcp: [gptoss]\n");
        File.WriteAllText(_settings, $$"""
            {
              "Tools": { "MaxOutputChars": 120 },
              "Mcp": { "Servers": { "gptoss": { "Command": "dotnet", "Args": [ "exec", {{JsonSerializer.Serialize(Gptoss)}}, "mcp", "serve", "--tools", "javascript" ] } } },
              "Agents": { "Directory": "agents" }
            }
            """);
        var script = Path.Combine(_dir, "script.txt");
        File.WriteAllText(script, string.Join("\n---\n",
            HarmonyScripts.Call("functions.gptoss_javascript", "{\"code\": \"console.log('y'.repeat(500))\"}"),
            HarmonyScripts.Final("Long.", "Done.")));

        var (exit, stdout, stderr) = await CommandRun.Invoke([RunCommand.Create()],
            "run", "--agent", "coder", "Print 500 y.", "--script", script, "--config", _settings, "--json");

        Assert.True(exit == 0, stderr);
        var result = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!)
            .Single(l => l["type"]!.GetValue<string>() == "tool_result");
        Assert.Equal("functions.gptoss_javascript", result["recipient"]!.GetValue<string>());
        var content = result["content"]!.GetValue<string>();
        Assert.StartsWith(new string('y', 120), content);
        Assert.Contains("output truncated", content);                             // Tools:MaxOutputChars of these settings
    }

    [Theory]
    [InlineData("telepathy", "error: --tools: unknown tool 'telepathy': expected python, javascript, browser")]
    [InlineData(",", "error: --tools names no tool: give some of python, javascript, browser")]
    public async Task An_unknown_tool_is_one_clear_error(string tools, string message)
    {
        var (exit, _, stderr) = await CommandRun.Invoke([McpCommand.Create()], "mcp", "serve", "--tools", tools, "--config", _settings);

        Assert.Equal(1, exit);
        Assert.Equal(message, stderr.Trim());
    }
}
