using System.Diagnostics;
using GptOss.Generation;
using GptOss.Mcp;
using GptOss.Mcp.Tests;
using static GptOss.Agents.Tests.Running.AgentScripts;

namespace GptOss.Agents.Tests.Running;

/// <summary>Agents calling the tools of MCP servers: one written here with the C# SDK, and npm's server-everything.</summary>
public sealed class AgentMcpTests
{
    private static McpServerDefinition TestServer()
    {
        var (command, arguments) = TestMcpServer.CommandLine();
        return new McpServerDefinition { Name = "test", Command = command, Arguments = arguments };
    }

    private static AgentDefinition Agent(params McpServerDefinition[] servers) => AgentScripts.Agent() with { McpServers = servers };

    [Fact]
    public async Task An_agent_sees_a_csharp_sdk_servers_tools_calls_one_and_the_server_stops_with_the_run()
    {
        var generator = ScriptedTokenGenerator.FromHarmony(
            FunctionCall("Echo it through MCP.", "test_echo", "{\"message\": \"via mcp\"}"),
            FunctionCall("Which process answers?", "test_pid", "{}"),
            Final("Done.", "It echoed."));

        var events = await Collect(Runner(generator).RunAsync(Agent(TestServer()), "Echo 'via mcp'."));

        var prompt = generator.PromptTexts[0];
        Assert.Contains("namespace functions", prompt);                             // the developer message's functions
        Assert.Contains("type test_echo = (_: {", prompt);
        Assert.Contains("message: string", prompt);
        var results = events.OfType<AgentEvent.ToolResult>().ToList();
        Assert.Equal(["functions.test_echo", "functions.test_pid"], results.Select(r => r.Recipient));
        Assert.Equal("Echo: via mcp", results[0].Content);
        Assert.Contains("<|start|>functions.test_echo to=assistant<|channel|>commentary<|message|>Echo: via mcp<|end|>", generator.PromptTexts[1]);
        Assert.Equal(AgentRunOutcome.Answered, Assert.IsType<AgentEvent.RunCompleted>(events[^1]).Outcome);

        Assert.False(IsRunning(int.Parse(results[1].Content)), "the MCP server outlived the run");
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;                                                         // no such process
        }
    }

    [ServerEverythingFact]
    public async Task An_agent_calls_echo_and_get_sum_of_npms_server_everything()
    {
        var generator = ScriptedTokenGenerator.FromHarmony(
            FunctionCall("Echo first.", "everything_echo", "{\"message\": \"hello everything\"}"),
            FunctionCall("Now add.", "everything_get-sum", "{\"a\": 20, \"b\": 22}"),
            Final("Both worked.", "42"));

        var events = await Collect(Runner(generator).RunAsync(Agent(ServerEverything.Definition()), "Echo and add."));

        var results = events.OfType<AgentEvent.ToolResult>().ToList();
        Assert.Equal("Echo: hello everything", results[0].Content);
        Assert.Contains("42", results[1].Content);
        Assert.Equal("42", Assert.IsType<AgentEvent.RunCompleted>(events[^1]).Answer);
    }

    [Fact]
    public async Task A_server_that_cannot_start_stops_the_run_with_its_name_and_the_cause()
    {
        var generator = ScriptedTokenGenerator.FromHarmony(Final("Never reached.", "No."));
        var broken = new McpServerDefinition { Name = "ghost", Command = "/nonexistent/mcp-server" };

        var e = await Assert.ThrowsAsync<McpServerException>(() => Collect(Runner(generator).RunAsync(Agent(TestServer(), broken), "Hi.")));

        Assert.StartsWith("MCP server 'ghost' (/nonexistent/mcp-server) could not start:", e.Message);
        Assert.Empty(generator.Prompts);
    }
}
