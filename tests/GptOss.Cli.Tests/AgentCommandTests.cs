using System.CommandLine;
using System.Text.Json.Nodes;
using GptOss.Agents;
using GptOss.Cli.Commands;
using GptOss.Testing;
using GptOss.Generation;
using GptOss.Remote.Testing;

namespace GptOss.Cli.Tests;

/// <summary>
/// `gptoss run|chat|agents` end to end through the command line, with scripted model output: each test runs with the
/// script in-process (<c>--script</c>) and through a fake vLLM server (<c>--backend vllm --endpoint</c>).
/// </summary>
public abstract class AgentCommandTests : RoutedTests, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gptoss-cli-").FullName;

    protected AgentCommandTests(GeneratorRoute route) : base(route)
    {
        Directory.CreateDirectory(Path.Combine(_dir, "agents"));
        File.WriteAllText(Path.Combine(_dir, "agents", "worker.yaml"), """
            name: worker
            description: Uses a kernel function, python and the browser.
            instructions: Use the tools, then answer.
            tools: [Clock, python, browser]
            max_steps: 5
            """);
        File.WriteAllText(Path.Combine(_dir, "appsettings.json"), $$"""
            {
              "Tools": { "Browser": { "CorpusDirectory": {{System.Text.Json.JsonSerializer.Serialize(Path.Combine(TestPaths.RepoRoot, "agents", "corpus"))}} } },
              "Agents": { "Directory": "agents" }
            }
            """);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Script(params string[] completions)
    {
        var path = Path.Combine(_dir, $"script-{Guid.NewGuid():N}.txt");
        File.WriteAllText(path, string.Join("\n---\n", completions));
        return path;
    }

    private static Task<(int Exit, string Out, string Err)> Invoke(params string[] args) =>
        CommandRun.Invoke([RunCommand.Create(), ChatCommand.Create(), AgentsCommand.Create()], args);

    private string[] Host(params string[] args) => [.. OnRoute(args), "--config", Path.Combine(_dir, "appsettings.json")];

    /// <summary>Over vLLM, <c>--script FILE</c> becomes a fake vLLM server replaying FILE and the flags that point gptoss at it.</summary>
    private string[] OnRoute(string[] args)
    {
        var i = Array.IndexOf(args, "--script");
        if (Routes.Route == GeneratorRoute.Direct || i < 0 || !File.Exists(args[i + 1])) return args;
        var server = Routes.Serve(HarmonyScriptFile.Load(args[i + 1]));
        return [.. args[..i], "--backend", "vllm", "--endpoint", server.Endpoint, .. args[(i + 2)..]];
    }

    private static readonly string[] MultiStep =
    [
        "<|channel|>analysis<|message|>Need the date.<|end|><|start|>assistant<|channel|>commentary to=functions.Clock_now <|constrain|>json<|message|>{}<|call|>",
        "<|channel|>analysis<|message|>Compute.<|end|><|start|>assistant<|channel|>analysis to=python code<|message|>print(sum(range(10)))<|call|>",
        "<|channel|>analysis<|message|>Search the corpus.<|end|><|start|>assistant<|channel|>analysis to=browser.search code<|message|>{\"query\": \"gpt-oss experts\"}<|call|>",
        "<|channel|>analysis<|message|>All done.<|end|><|start|>assistant<|channel|>final<|message|>The sum is 45.<|return|>",
    ];

    [Fact]
    public async Task Run_with_script_and_json_writes_the_transcript_of_a_multi_step_task()
    {
        var (exit, stdout, stderr) = await Invoke(Host("run", "--agent", "worker", "Sum 0..9", "--script", Script(MultiStep), "--json"));

        Assert.True(exit == 0, stderr);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal("run_started", lines[0]["type"]!.GetValue<string>());
        Assert.Equal(["functions.Clock_now", "python", "browser.search"],
            lines.Where(l => l["type"]!.GetValue<string>() == "tool_call").Select(l => l["recipient"]!.GetValue<string>()));
        var results = lines.Where(l => l["type"]!.GetValue<string>() == "tool_result").Select(l => l["content"]!.GetValue<string>()).ToList();
        Assert.Equal("45", results[1].Trim());
        Assert.Contains("gpt-oss models", results[2]);

        var steps = lines.Where(l => l["type"]!.GetValue<string>() == "step_completed").ToList();
        Assert.Equal(4, steps.Count);
        Assert.Equal(0, steps[0]["cached_prompt_tokens"]!.GetValue<int>());
        foreach (var step in steps.Skip(1))
        {
            var cached = step["cached_prompt_tokens"]!.GetValue<int>();
            Assert.True(cached > 0);
            Assert.Equal(step["prompt_tokens"]!.GetValue<int>() - cached, step["prefill_tokens"]!.GetValue<int>());
        }
        var end = lines[^1];
        Assert.Equal("run_completed", end["type"]!.GetValue<string>());
        Assert.Equal("Answered", end["outcome"]!.GetValue<string>());
        Assert.Equal("The sum is 45.", end["answer"]!.GetValue<string>());
    }

    [Fact]
    public async Task Run_on_a_terminal_streams_the_answer_and_shows_progress()
    {
        var (exit, stdout, stderr) = await Invoke(Host("run", "--agent", "worker", "Sum 0..9", "--script", Script(MultiStep)));

        Assert.True(exit == 0, stderr);
        Assert.Equal("The sum is 45.", stdout.Trim());
        Assert.Contains("→ functions.Clock_now {}", stderr);
        Assert.Contains("← python 45", stderr);
        Assert.Contains("(thinking) Need the date.", stderr);
        Assert.Matches(@"\[step 2: prompt \d+ \(cached [1-9]\d*, prefill \d+\)", stderr);
    }

    [Fact]
    public async Task Run_with_a_json_schema_requires_that_answer()
    {
        var schema = Path.Combine(_dir, "sum.json");
        File.WriteAllText(schema, """{"type":"object","properties":{"sum":{"type":"integer"}},"required":["sum"]}""");
        string[] answers = ["<|channel|>final<|message|>The sum is 45.<|return|>", "<|channel|>final<|message|>{\"sum\":45}<|return|>"];

        // The worker has built-in tools, so its answer is checked after it is written rather than constrained.
        var prose = await Invoke(Host("run", "--agent", "worker", "Sum 0..9", "--json-schema", schema, "--script", Script(answers[0])));
        var json = await Invoke(Host("run", "--agent", "worker", "Sum 0..9", "--json-schema", schema, "--script", Script(answers[1])));
        var bad = await Invoke(Host("run", "--agent", "worker", "Sum 0..9", "--json-schema", Path.Combine(_dir, "missing.json"), "--script", Script(answers[1])));

        Assert.Equal(2, prose.Exit);
        Assert.Contains("error: InvalidOutput: the answer is not valid JSON", prose.Err);
        Assert.True(json.Exit == 0, json.Err);
        Assert.Equal("{\"sum\":45}", json.Out.Trim());
        Assert.Equal(1, bad.Exit);
        Assert.StartsWith($"error: --json-schema: {Path.Combine(_dir, "missing.json")}: no such file", bad.Err.Trim());
    }

    [Fact]
    public async Task Control_sequences_from_the_model_and_tools_are_escaped_on_the_terminal()
    {
        const string Osc52 = "\u001b]52;c;ZWNobyBwd25lZA==\u0007";   // writes the user's clipboard
        string[] script =
        [
            $"<|channel|>analysis<|message|>Title \u001b]0;owned\u0007<|end|><|start|>assistant<|channel|>analysis to=python code<|message|>print('\\x1b[2J' + 'cleared')<|call|>",
            $"<|channel|>final<|message|>Done {Osc52} \u001b]8;;http://evil\u001b\\link\u001b]8;;\u001b\\<|return|>",
        ];

        var (exit, stdout, stderr) = await Invoke(Host("run", "--agent", "worker", "Go", "--script", Script(script)));

        Assert.True(exit == 0, stderr);
        Assert.DoesNotContain('\u001b', stdout + stderr);
        Assert.DoesNotContain('\u0007', stdout + stderr);
        Assert.Contains("Done \\x1B]52;c;ZWNobyBwd25lZA==\\x07", stdout);
        Assert.Contains("\\x1B[2Jcleared", stderr);
    }

    [Fact]
    public async Task Verbose_shows_the_speeds_and_hide_thinking_leaves_the_reasoning_out()
    {
        var (exit, stdout, stderr) = await Invoke(Host("run", "--agent", "worker", "Sum 0..9", "--script", Script(MultiStep), "--verbose", "--hide-thinking"));

        Assert.True(exit == 0, stderr);
        Assert.Equal("The sum is 45.", stdout.Trim());
        Assert.DoesNotContain("(thinking)", stderr);
        Assert.DoesNotContain("Need the date.", stderr);
        Assert.Matches(@"load duration: +\d", stderr);
        Assert.Matches(@"prompt eval count: +\d+ token\(s\) \(\d+ more from the cache\)", stderr);
        Assert.Matches(@"eval count: +\d+ token\(s\)", stderr);
        Assert.Contains("prompt eval rate:", stderr);
        Assert.Contains("time to first token:", stderr);
    }

    [Fact]
    public async Task Run_can_save_the_transcript_while_showing_progress()
    {
        var file = Path.Combine(_dir, "run.jsonl");
        var (exit, stdout, stderr) = await Invoke(Host("run", "--agent", "worker", "Sum 0..9", "--script", Script(MultiStep), "--transcript", file));

        Assert.True(exit == 0, stderr);
        Assert.Equal("The sum is 45.", stdout.Trim());
        var events = File.ReadAllLines(file).Select(AgentTranscript.FromJsonLine).ToList();
        Assert.IsType<AgentEvent.RunStarted>(events[0]);
        Assert.Equal(4, events.OfType<AgentEvent.StepCompleted>().Count());
        Assert.Equal("The sum is 45.", Assert.IsType<AgentEvent.RunCompleted>(events[^1]).Answer);
    }

    [Fact]
    public async Task Run_that_hits_the_step_limit_exits_non_zero_with_the_reason()
    {
        var loop = Enumerable.Repeat(MultiStep[0], 5).ToArray();
        var (exit, _, stderr) = await Invoke(Host("run", "--agent", "worker", "loop", "--script", Script(loop)));

        Assert.Equal(2, exit);
        Assert.Contains("error: StepLimit: agent 'worker' reached its step limit (5 model calls)", stderr);
    }

    [Theory]
    [InlineData("--agent", "nobody", "error: unknown agent 'nobody': known agents are worker")]
    [InlineData("--script", "missing.txt", "error: script file not found: missing.txt")]
    [InlineData("--model", "/no/such/model", "error: /no/such/model: checkpoint folder not found")]
    public async Task Run_reports_bad_arguments_in_one_line(string option, string value, string message)
    {
        string[] args = option == "--agent"
            ? ["run", "--agent", value, "task", "--script", Script(MultiStep)]
            : ["run", "--agent", "worker", "task", option, value];
        var (exit, _, stderr) = await Invoke(Host(args));

        Assert.Equal(1, exit);
        Assert.Equal(message, stderr.Trim());
    }

    [Fact]
    public async Task Run_on_a_model_that_cannot_take_harmony_tokens_fails_with_one_line()
    {
        // The tiny random checkpoint has a 1000-token vocabulary: the real engine rejects harmony's special tokens.
        var (exit, stdout, stderr) = await Invoke(Host("run", "--agent", "worker", "task", "--model", TestPaths.TinyFixture("hf-a")));

        Assert.Equal(1, exit);
        Assert.DoesNotContain("run_completed", stdout);
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("error: ", lines[^1]);
        Assert.Contains("200006", lines[^1]);
        Assert.DoesNotContain(lines, l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal) || l.StartsWith("Actual value", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Agents_validate_reports_each_error_with_file_and_line()
    {
        var bad = Path.Combine(_dir, "agents", "broken.yaml");
        File.WriteAllText(bad, "name: broken\ninstructions: x\ntools:\n  - python\n  - telepathy\nmax_steps: lots\n");

        var (exit, _, stderr) = await Invoke(Host("agents", "validate"));

        Assert.Equal(1, exit);
        Assert.Contains($"{bad}:5:5: unknown tool 'telepathy'", stderr);
        Assert.Contains($"{bad}:6:12: 'max_steps' must be an integer, found 'lots'", stderr);
        Assert.Contains("2 error(s) in the agent configuration", stderr);
    }

    [Fact]
    public async Task Agents_validate_names_the_agent_and_mcp_server_whose_command_is_missing_or_url_unreachable()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();                                                      // a port nobody listens on
        var agent = Path.Combine(_dir, "agents", "linked.yaml");
        File.WriteAllText(agent, $"name: linked\ninstructions: x\nmcp:\n  - name: local\n    command: no-such-mcp-server\n"
            + $"  - name: remote\n    url: http://127.0.0.1:{port}/mcp\n  - name: shell\n    command: sh\n");

        var (exit, stdout, stderr) = await Invoke(Host("agents", "validate"));
        var list = await Invoke(Host("agents", "list"));

        Assert.Equal(1, exit);
        Assert.Contains($"{agent}:1:1: agent 'linked': MCP server 'local': command 'no-such-mcp-server' not found on PATH", stderr);
        Assert.Contains($"{agent}:1:1: agent 'linked': MCP server 'remote': URL http://127.0.0.1:{port}/mcp unreachable:", stderr);
        Assert.DoesNotContain("'shell'", stderr);
        Assert.Contains("2 error(s) in the agent configuration", stderr);
        Assert.Empty(stdout);
        Assert.Contains("mcp: local, remote, shell", list.Out);
    }

    [Fact]
    public async Task Agents_validate_and_list_accept_the_shipped_configuration()
    {
        string[] repo = ["--agents", Path.Combine(TestPaths.RepoRoot, "agents"), "--config", Path.Combine(TestPaths.RepoRoot, "appsettings.json")];

        var validate = await Invoke(["agents", "validate", .. repo]);
        var list = await Invoke(["agents", "list", .. repo]);

        Assert.True(validate.Exit == 0, validate.Err);
        Assert.StartsWith("4 agent(s) valid", validate.Out);
        Assert.Equal(0, list.Exit);
        foreach (var name in new[] { "analyst", "assistant", "planner", "researcher" })
        {
            Assert.Contains(name, list.Out);
        }
        Assert.Contains("tools: browser;", list.Out);
    }

    [Fact]
    public async Task Chat_takes_multi_line_messages_set_regen_and_clear_and_ends_at_the_end_of_input()
    {
        string Final(string answer) => $"<|channel|>analysis<|message|>Think.<|end|><|start|>assistant<|channel|>final<|message|>{answer}<|return|>";
        // Three answers exactly: a multi-line message sent as several would ask for a fourth and exhaust the script.
        var script = Script(Final("Hello Ada."), Final("Hello again."), Final("I do not know."));
        var previous = ChatCommand.Input;
        ChatCommand.Input = new StringReader("\"\"\"\nI am Ada\nand I write code\n\"\"\"\n/set effort high\n/set temperature 0.5\n/regen\n/clear\nWho am I?\n");
        try
        {
            var (exit, stdout, stderr) = await Invoke(Host("chat", "--agent", "worker", "--script", script));

            Assert.True(exit == 0, stderr);
            Assert.Equal(["Hello Ada.", "Hello again.", "I do not know."],
                System.Text.RegularExpressions.Regex.Matches(stdout, @"Hello Ada\.|Hello again\.|I do not know\.").Select(m => m.Value));
            Assert.Contains("Reasoning effort high.", stdout);
            Assert.Contains("Temperature 0.5.", stdout);
            Assert.Contains("Answering again.", stdout);
            Assert.Contains("Cleared the conversation.", stdout);
        }
        finally
        {
            ChatCommand.Input = previous;
        }
    }

    [Fact]
    public async Task Chat_keeps_the_conversation_across_lines()
    {
        var script = Script(
            "<|channel|>analysis<|message|>Greet.<|end|><|start|>assistant<|channel|>final<|message|>Hello Ada.<|return|>",
            "<|channel|>analysis<|message|>Recall.<|end|><|start|>assistant<|channel|>final<|message|>You are Ada.<|return|>");
        var previous = ChatCommand.Input;
        ChatCommand.Input = new StringReader("I am Ada\nWho am I?\n/exit\n");
        try
        {
            var (exit, stdout, stderr) = await Invoke(Host("chat", "--agent", "worker", "--script", script));

            Assert.True(exit == 0, stderr);
            Assert.Contains("Hello Ada.", stdout);
            Assert.Contains("You are Ada.", stdout);
        }
        finally
        {
            ChatCommand.Input = previous;
        }
    }
}

[Collection(nameof(AgentCommandTests))] // chat swaps the process-wide input reader
public sealed class AgentCommandTestsOnScript() : AgentCommandTests(GeneratorRoute.Direct);

[Collection(nameof(AgentCommandTests))]
public sealed class AgentCommandTestsOverVllm() : AgentCommandTests(GeneratorRoute.Vllm);
