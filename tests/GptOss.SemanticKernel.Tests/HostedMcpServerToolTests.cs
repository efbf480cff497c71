using GptOss.Generation;
using GptOss.Mcp.Tests;
using GptOss.Testing;
using Microsoft.Extensions.AI;

namespace GptOss.SemanticKernel.Tests;

/// <summary>M.E.AI's <see cref="HostedMcpServerTool"/>: the client offers the server's tools and runs them inside its own call.</summary>
public sealed class HostedMcpServerToolTests : IAsyncLifetime
{
    private TestHttpMcpServer _server = null!;

    public async Task InitializeAsync() => _server = await TestHttpMcpServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static GptOssChatClient Client(ScriptedTokenGenerator generator) =>
        new(new HarmonyChatPipeline(generator), new GptOssOptions { IncludeCurrentDate = false, ModelId = "gpt-oss-test" });

    private ChatOptions Options() => new()
    {
        Tools =
        [
            new HostedMcpServerTool("web", _server.Url)
            {
                Headers = new Dictionary<string, string> { [TestHttpMcpServer.TokenHeader] = TestHttpMcpServer.Token },
                AllowedTools = ["echo", "pid"],
                ApprovalMode = HostedMcpServerToolApprovalMode.NeverRequire,
            },
        ],
    };

    private static ScriptedTokenGenerator EchoThenAnswer() => ScriptedTokenGenerator.FromHarmony(
        HarmonyScripts.Call("functions.web_echo", "{\"message\": \"hosted\"}"),
        HarmonyScripts.Final("The server echoed.", "It said: Echo: hosted"));

    [Fact]
    public async Task The_servers_allowed_tools_are_offered_and_a_call_runs_inside_the_clients_call()
    {
        var generator = EchoThenAnswer();

        var response = await Client(generator).GetResponseAsync([new ChatMessage(ChatRole.User, "Echo 'hosted'.")], Options());

        Assert.Contains("type web_echo = (_: {", generator.PromptTexts[0]);
        Assert.Contains("type web_pid = ", generator.PromptTexts[0]);
        Assert.DoesNotContain("web_fail", generator.PromptTexts[0]);                      // not among AllowedTools
        Assert.Contains("<|start|>functions.web_echo to=assistant<|channel|>commentary<|message|>Echo: hosted<|end|>", generator.PromptTexts[1]);
        var contents = response.Messages.SelectMany(m => m.Contents).ToList();
        var call = Assert.Single(contents.OfType<McpServerToolCallContent>());
        Assert.Equal(("echo", "web", "hosted"), (call.Name, call.ServerName, call.Arguments!["message"]!.ToString()));
        var result = Assert.Single(contents.OfType<McpServerToolResultContent>());
        Assert.Equal((call.CallId, "Echo: hosted"), (result.CallId, Assert.IsType<TextContent>(Assert.Single(result.Outputs!)).Text));
        Assert.Empty(contents.OfType<FunctionCallContent>());                             // nothing left for the caller to run
        Assert.Equal("It said: Echo: hosted", response.Text);
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
    }

    [Fact]
    public async Task Streaming_shows_the_call_and_result_between_the_turns()
    {
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in Client(EchoThenAnswer()).GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "Echo.")], Options()))
            updates.Add(update);

        var contents = updates.SelectMany(u => u.Contents).ToList();
        var call = contents.FindIndex(c => c is McpServerToolCallContent);
        var result = contents.FindIndex(c => c is McpServerToolResultContent);
        Assert.True(call >= 0 && result > call, string.Join(", ", contents.Select(c => c.GetType().Name)));
        Assert.Empty(contents.OfType<FunctionCallContent>());
        Assert.Equal("It said: Echo: hosted", string.Concat(updates.Skip(result).Select(u => u.Text)));
    }

    [Fact]
    public async Task A_tool_that_needs_approval_is_refused_naming_the_server()
    {
        var options = new ChatOptions { Tools = [new HostedMcpServerTool("web", _server.Url) { ApprovalMode = HostedMcpServerToolApprovalMode.AlwaysRequire }] };

        var e = await Assert.ThrowsAsync<NotSupportedException>(() =>
            Client(EchoThenAnswer()).GetResponseAsync([new ChatMessage(ChatRole.User, "Echo.")], options));

        Assert.StartsWith("HostedMcpServerTool 'web': gpt-oss runs hosted MCP tools without asking", e.Message);
    }
}
