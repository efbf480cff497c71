using GptOss.Remote.Testing;
using GptOss.Generation;
using GptOss.Harmony;
using GptOss.Testing;
using GptOss.Tools;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using static GptOss.Agents.Tests.Running.AgentScripts;

namespace GptOss.Agents.Tests.Running;

/// <summary>Each test runs on the scripted generator directly and through a fake vLLM server and the vLLM backend.</summary>
public abstract class AgentRunnerTests(GeneratorRoute route) : RoutedTests(route)
{
    [Fact]
    public async Task A_session_can_change_its_settings_keep_its_turns_take_back_the_last_and_clear()
    {
        var generator = ScriptedTokenGenerator.FromHarmony(Final("a", "One."), Final("b", "Two."), Final("c", "Three."), Final("d", "Four."));
        await using var session = Runner(Routes.Through(generator)).CreateSession(Agent());

        await Collect(session.SendAsync("first"));
        session.Reconfigure(session.Agent with { ReasoningEffort = Harmony.ReasoningEffort.High });
        await Collect(session.SendAsync("second"));
        var takenBack = session.TakeBackLastTurn();
        await Collect(session.SendAsync(takenBack!));
        session.Clear();
        await Collect(session.SendAsync("third"));

        var prompts = generator.PromptTexts;
        Assert.Contains("Reasoning: medium", prompts[0]);
        Assert.Contains("Reasoning: high", prompts[1]);
        Assert.Contains("One.", prompts[1]);                        // the earlier turn is kept
        Assert.Equal("second", takenBack);
        Assert.Equal(prompts[1], prompts[2]);                        // the same turn, asked again
        Assert.DoesNotContain("first", prompts[3]);                  // cleared
        Assert.Contains("Reasoning: high", prompts[3]);              // settings survive /clear
        session.Clear();
        Assert.Null(session.TakeBackLastTurn());                    // nothing left to take back
    }

    [Theory]
    [InlineData(true, "KV cache and prefix reuse")]
    [InlineData(false, "there is no tool named functions.search")]
    public async Task A_function_call_meant_for_a_builtin_tool_reaches_it_only_when_the_agent_has_it(bool hasBrowser, string expected)
    {
        var generator = ScriptedTokenGenerator.FromHarmony(
            FunctionCall("Search as a function.", "search", "{\"query\": \"KV cache prefix reuse\"}"),
            Final("Done.", "Found."));
        var agent = hasBrowser ? Agent(Builtin("browser")) : Agent(Builtin("javascript"));

        var events = await Collect(Runner(Routes.Through(generator), Corpus()).RunAsync(agent, "Search."));

        var result = Assert.Single(events.OfType<AgentEvent.ToolResult>());
        Assert.Contains(expected, result.Content);
    }

    [Fact]
    public async Task Multi_step_task_routes_each_call_and_reuses_the_prompt_prefix()
    {
        string[] scripts =
        [
            FunctionCall("I need today's date first.", "Clock_now", "{}"),
            BuiltinCall("Now compute with python.", "python", "code", "print(6 * 7)"),
            BuiltinCall("Check with javascript too.", "javascript", "code", "console.log(40 + 2)"),
            BuiltinCall("Look up prefix reuse in the corpus.", "browser.search", "code", "{\"query\": \"KV cache prefix reuse\"}"),
            Final("Both tools say 42.", "The answer is 42."),
        ];
        var generator = ScriptedTokenGenerator.FromHarmony(scripts);
        var agent = Agent(Function("Clock"), Builtin("python"), Builtin("javascript"), Builtin("browser"));

        var events = await Collect(Runner(Routes.Through(generator), Corpus()).RunAsync(agent, "What is 6 times 7?"));

        var calls = events.OfType<AgentEvent.ToolCall>().ToList();
        Assert.Equal(["functions.Clock_now", "python", "javascript", "browser.search"], calls.Select(c => c.Recipient));
        Assert.Equal([1, 2, 3, 4], calls.Select(c => c.Step));
        var results = events.OfType<AgentEvent.ToolResult>().ToList();
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", results[0].Content);
        Assert.False(results[0].Failed);
        Assert.Equal("42", results[1].Content.Trim());
        Assert.Equal("42", results[2].Content.Trim());
        Assert.Contains("KV cache and prefix reuse", results[3].Content);
        Assert.Equal("The answer is 42.", string.Concat(events.OfType<AgentEvent.AnswerDelta>().Select(d => d.Text)));
        Assert.Contains("I need today's date first.", string.Concat(events.OfType<AgentEvent.ReasoningDelta>().Select(d => d.Text)));
        var end = Assert.IsType<AgentEvent.RunCompleted>(events[^1]);
        Assert.Equal(AgentRunOutcome.Answered, end.Outcome);
        Assert.Equal("The answer is 42.", end.Answer);
        Assert.Equal(5, end.Step);

        // Each prompt is the previous prompt + the exact sampled tokens + the rendered tool reply + <|start|>assistant,
        // so all but the last sampled token (never fed back) come from the KV cache.
        var prompts = generator.Prompts;
        var steps = events.OfType<AgentEvent.StepCompleted>().ToList();
        Assert.Equal([1, 2, 3, 4, 5], steps.Select(s => s.Step));
        Assert.Equal(0, steps[0].CachedPromptTokens);
        for (var i = 1; i < steps.Count; i++)
        {
            var previous = prompts[i - 1].Concat(HarmonyTokenizer.Shared.Encode(scripts[i - 1], allowSpecial: true)).ToList();
            Assert.Equal(previous, prompts[i].Take(previous.Count));
            Assert.Equal(previous.Count - 1, steps[i].CachedPromptTokens);
            Assert.Equal(prompts[i].Count, steps[i].PromptTokens);
            Assert.Equal(steps[i].PromptTokens - steps[i].CachedPromptTokens, steps[i].PrefillTokens);
            Assert.True(steps[i].PrefillTokens < steps[i].PromptTokens / 2, $"step {i + 1} recomputed {steps[i].PrefillTokens} tokens");
        }
        Assert.Equal(steps.Sum(s => s.CachedPromptTokens), end.CachedPromptTokens);
        Assert.All(steps, s => Assert.True(s.OverheadTime >= TimeSpan.Zero));
    }

    private static ToolsOptions Corpus() =>
        new() { Browser = new BrowserOptions { CorpusDirectory = Path.Combine(TestPaths.RepoRoot, "agents", "corpus") } };

    [Fact]
    public async Task Prompt_carries_instructions_effort_and_only_the_agents_tools()
    {
        var generator = ScriptedTokenGenerator.FromHarmony(Final("Easy.", "Hi."));
        var agent = Agent(Function("Calculator", "evaluate"), Builtin("python")) with { ReasoningEffort = ReasoningEffort.High };

        await Collect(Runner(Routes.Through(generator)).RunAsync(agent, "Say hi"));

        var prompt = generator.PromptTexts[0];
        Assert.Contains("Reasoning: high", prompt);
        Assert.Contains("## python", prompt);
        Assert.DoesNotContain("## javascript", prompt);
        Assert.Contains("<|start|>developer<|message|># Instructions\n\nUse the tools to answer.", prompt);
        Assert.Contains("type Calculator_evaluate = ", prompt);
        Assert.Contains("Calls to these tools must go to the commentary channel: 'functions'.", prompt);
        Assert.DoesNotContain("Clock_now", prompt);
        Assert.EndsWith("<|start|>user<|message|>Say hi<|end|><|start|>assistant", prompt);
    }

    [Fact]
    public async Task Step_limit_ends_the_run_with_a_clear_outcome()
    {
        var generator = ScriptedTokenGenerator.FromHarmony(
            FunctionCall("Check the time.", "Clock_now", "{}"),
            FunctionCall("Check again.", "Clock_now", "{}"),
            Final("never reached", "never"));
        var agent = Agent(Function("Clock")) with { MaxSteps = 2 };

        var events = await Collect(Runner(Routes.Through(generator)).RunAsync(agent, "loop"));

        var end = Assert.IsType<AgentEvent.RunCompleted>(events[^1]);
        Assert.Equal(AgentRunOutcome.StepLimit, end.Outcome);
        Assert.Null(end.Answer);
        Assert.Contains("step limit (2 model calls)", end.Error);
        Assert.Equal(2, generator.Prompts.Count);
    }

    [Theory]
    [InlineData("nope", "{}", "there is no tool named functions.nope")]
    [InlineData("Calculator_evaluate", "{\"expr\": \"1+1\"}", "missing required argument(s): expression")]
    [InlineData("Calculator_evaluate", "{expression: 1+1", "not valid JSON")]
    [InlineData("Calculator_evaluate", "{\"expression\": \"1/0\"}", "division by zero")]
    public async Task Failed_function_call_becomes_a_tool_message_the_model_reacts_to(string function, string json, string problem)
    {
        var generator = ScriptedTokenGenerator.FromHarmony(
            FunctionCall("Compute.", function, json),
            Final("The call failed; say so.", "I could not compute it."));
        var agent = Agent(Function("Calculator"));

        var events = await Collect(Runner(Routes.Through(generator)).RunAsync(agent, "compute"));

        var result = Assert.Single(events.OfType<AgentEvent.ToolResult>());
        Assert.True(result.Failed);
        Assert.Contains(problem, result.Content);
        Assert.Equal(AgentRunOutcome.Answered, Assert.IsType<AgentEvent.RunCompleted>(events[^1]).Outcome);
        // The model saw the error as a tool message from the function, on the call's channel.
        Assert.Contains($"<|start|>functions.{function} to=assistant<|channel|>commentary<|message|>Error: ", generator.PromptTexts[1]);
    }

    [Fact]
    public async Task Builtin_tool_the_agent_does_not_list_is_refused_with_the_available_tools()
    {
        var generator = ScriptedTokenGenerator.FromHarmony(
            BuiltinCall("Try python.", "python", "code", "print(1)"),
            Final("Not allowed.", "No python here."));
        var agent = Agent(Function("Clock", "now"));

        var events = await Collect(Runner(Routes.Through(generator)).RunAsync(agent, "run code"));

        var result = Assert.Single(events.OfType<AgentEvent.ToolResult>());
        Assert.True(result.Failed);
        Assert.Equal("Error: there is no tool named python. Available tools: functions.Clock_now.", result.Content);
    }

    [Fact]
    public async Task Tool_that_times_out_becomes_a_tool_message()
    {
        var generator = ScriptedTokenGenerator.FromHarmony(
            BuiltinCall("Loop forever.", "javascript", "code", "while (true) {}"),
            Final("It timed out.", "The computation did not finish."));
        var agent = Agent(Builtin("javascript"));
        var tools = new ToolsOptions { TimeLimit = TimeSpan.FromMilliseconds(500) };

        var events = await Collect(Runner(Routes.Through(generator), tools).RunAsync(agent, "spin"));

        var result = Assert.Single(events.OfType<AgentEvent.ToolResult>());
        Assert.Contains("timed out", result.Content);
        Assert.Equal(AgentRunOutcome.Answered, Assert.IsType<AgentEvent.RunCompleted>(events[^1]).Outcome);
    }

    [Fact]
    public async Task Json_output_is_checked_against_the_schema_when_builtin_tools_keep_the_answer_free()
    {
        var schema = (System.Text.Json.Nodes.JsonObject)System.Text.Json.Nodes.JsonNode.Parse("""{"type":"object","required":["answer"]}""")!;
        // Built-in tools are called on the analysis channel, which the constrained frame does not offer: checked after.
        var agent = Agent(Builtin("javascript")) with { Output = new AgentOutputFormat(AgentOutputKind.Json, schema) };

        var good = await Collect(Runner(Routes.Through(ScriptedTokenGenerator.FromHarmony(Final("json", "{\"answer\": \"42\"}")))).RunAsync(agent, "q"));
        var missing = await Collect(Runner(Routes.Through(ScriptedTokenGenerator.FromHarmony(Final("json", "{\"value\": 42}")))).RunAsync(agent, "q"));
        var prose = await Collect(Runner(Routes.Through(ScriptedTokenGenerator.FromHarmony(Final("prose", "It is 42.")))).RunAsync(agent, "q"));

        Assert.Equal(AgentRunOutcome.Answered, ((AgentEvent.RunCompleted)good[^1]).Outcome);
        Assert.Equal("the answer lacks required property: answer", ((AgentEvent.RunCompleted)missing[^1]).Error);
        Assert.Equal(AgentRunOutcome.InvalidOutput, ((AgentEvent.RunCompleted)prose[^1]).Outcome);
        Assert.StartsWith("the answer is not valid JSON", ((AgentEvent.RunCompleted)prose[^1]).Error);
    }

    [Fact]
    public async Task Token_limit_mid_step_ends_with_length()
    {
        var generator = ScriptedTokenGenerator.FromHarmony(Final(string.Concat(Enumerable.Repeat("think ", 50)), "done"));
        var agent = Agent() with { Model = new AgentModelSettings { MaxTokens = 10 } };

        var events = await Collect(Runner(Routes.Through(generator)).RunAsync(agent, "q"));

        var end = Assert.IsType<AgentEvent.RunCompleted>(events[^1]);
        Assert.Equal(AgentRunOutcome.Length, end.Outcome);
        Assert.Contains("token limit (10 tokens)", end.Error);
        Assert.Equal(10, generator.Options[0].MaxNewTokens);
    }

    [Fact]
    public async Task Chat_session_keeps_the_conversation_and_drops_finished_reasoning()
    {
        var generator = ScriptedTokenGenerator.FromHarmony(
            Final("First thought.", "Hello Ada."),
            Final("Second thought.", "Your name is Ada."));
        await using var session = Runner(Routes.Through(generator)).CreateSession(Agent());

        await Collect(session.SendAsync("I am Ada."));
        var second = await Collect(session.SendAsync("What is my name?"));

        Assert.Equal("Your name is Ada.", ((AgentEvent.RunCompleted)second[^1]).Answer);
        var prompt = generator.PromptTexts[1];
        Assert.Contains("<|start|>user<|message|>I am Ada.<|end|><|start|>assistant<|channel|>final<|message|>Hello Ada.<|end|>", prompt);
        Assert.DoesNotContain("First thought.", prompt);
        Assert.Equal(6, session.Messages.Count(m => m.Author.Role != Role.System && m.Author.Role != Role.Developer));
    }

    [Fact]
    public async Task Transcript_has_one_json_object_per_event_with_per_step_counters()
    {
        var generator = ScriptedTokenGenerator.FromHarmony(
            FunctionCall("Time?", "Clock_now", "{}"),
            Final("Got it.", "Done."));
        var events = await Collect(Runner(Routes.Through(generator)).RunAsync(Agent(Function("Clock")), "time"));

        var lines = events.Select(AgentTranscript.ToJsonLine).ToList();
        Assert.All(lines, l => Assert.DoesNotContain('\n', l));
        var step2 = System.Text.Json.Nodes.JsonNode.Parse(lines.Single(l => l.Contains("\"step_completed\"") && l.Contains("\"step\":2")))!;
        Assert.True(step2["cached_prompt_tokens"]!.GetValue<int>() > 0);
        Assert.Equal(step2["prompt_tokens"]!.GetValue<int>() - step2["cached_prompt_tokens"]!.GetValue<int>(), step2["prefill_tokens"]!.GetValue<int>());
        foreach (var field in new[] { "generated_tokens", "model_ms", "tool_ms", "overhead_ms", "prefill_ms", "decode_ms" })
        {
            Assert.NotNull(step2[field]);
        }
        // Lines read back into the same events (durations at the transcript's millisecond precision).
        Assert.Equal(lines, lines.Select(AgentTranscript.FromJsonLine).Select(AgentTranscript.ToJsonLine));
        Assert.Equal(events.Select(e => e.GetType()), lines.Select(l => AgentTranscript.FromJsonLine(l).GetType()));
    }

    [Fact]
    public async Task Malformed_model_output_is_reported_and_ends_the_run_cleanly()
    {
        var generator = ScriptedTokenGenerator.FromHarmony(
            "<|channel|>analysis<|message|>Call it.<|end|><|start|>assistant<|channel|>commentary to=functions.Clock_now extra words json<|message|>{}<|call|>");
        var events = await Collect(Runner(Routes.Through(generator)).RunAsync(Agent(Function("Clock")), "time"));

        var problem = Assert.Single(events.OfType<AgentEvent.OutputProblem>());
        Assert.Contains("unexpected tokens remaining in message header", problem.Description);
        Assert.Empty(events.OfType<AgentEvent.ToolCall>());
        var end = Assert.IsType<AgentEvent.RunCompleted>(events[^1]);
        Assert.Equal(AgentRunOutcome.InvalidOutput, end.Outcome);
        Assert.StartsWith("the model stopped without a final answer (", end.Error);
    }

    [Fact]
    public async Task Builtin_tool_called_as_a_function_is_rerouted_like_the_reference_does()
    {
        var generator = ScriptedTokenGenerator.FromHarmony(
            FunctionCall("Run python.", "python", "print(2 ** 10)"),
            Final("Got it.", "1024"));
        var events = await Collect(Runner(Routes.Through(generator)).RunAsync(Agent(Builtin("python")), "2^10"));

        Assert.Equal("1024", Assert.Single(events.OfType<AgentEvent.ToolResult>()).Content.Trim());
    }

    [Fact]
    public async Task Registered_runner_uses_the_services_generator_tools_and_plugins()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Agents:Directory"] = "",
            ["Agents:Definitions:timer:Instructions"] = "Tell the time.",
            ["Agents:Definitions:timer:Tools:0"] = "Clock.now",
        }).Build();
        var generator = ScriptedTokenGenerator.FromHarmony(FunctionCall("Time?", "Clock_now", "{}"), Final("Read it.", "It is late."));
        using var services = new ServiceCollection()
            .AddSingleton(Routes.Through(generator))
            .AddSingleton<TimeProvider>(new FixedTime(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero)))
            .AddGptOssTools()
            .AddGptOssAgents(configuration)
            .BuildServiceProvider();
        var runner = services.GetRequiredService<AgentRunner>();
        var catalog = services.GetRequiredService<AgentCatalog>();

        var events = await Collect(runner.RunAsync(catalog.Get("timer"), "time?"));

        Assert.Equal("It is late.", Assert.IsType<AgentEvent.RunCompleted>(events[^1]).Answer);
        Assert.Contains("Current date: 2026-01-02", generator.PromptTexts[0]);
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}

public sealed class AgentRunnerTestsOnScript() : AgentRunnerTests(GeneratorRoute.Direct);

public sealed class AgentRunnerTestsOverVllm() : AgentRunnerTests(GeneratorRoute.Vllm);
