using System.Text.Json.Nodes;
using GptOss.Generation;
using static GptOss.Agents.Tests.Running.AgentScripts;

namespace GptOss.Agents.Tests.Running;

/// <summary>
/// An agent's <c>output.schema</c> and <c>tool_choice</c> enforced while generating: the scripted generator takes a
/// scripted token only where the constraint allows it (else the lowest allowed id), as the engine's sampler would.
/// </summary>
public sealed class AgentConstraintTests
{
    private static readonly JsonObject AnswerSchema = (JsonObject)JsonNode.Parse(
        """{"type":"object","properties":{"answer":{"type":"integer","minimum":40,"maximum":45}},"required":["answer"],"additionalProperties":false}""")!;

    [Fact]
    public async Task An_output_schema_is_enforced_while_generating_so_prose_cannot_come_out()
    {
        var agent = Agent() with { Output = new AgentOutputFormat(AgentOutputKind.Json, AnswerSchema) };

        var events = await Collect(Runner(ScriptedTokenGenerator.FromHarmony(Final("prose", "It is 42."))).RunAsync(agent, "q"));

        var completed = Assert.IsType<AgentEvent.RunCompleted>(events[^1]);
        Assert.Equal(AgentRunOutcome.Answered, completed.Outcome);
        Assert.InRange((int)JsonNode.Parse(completed.Answer!)!["answer"]!, 40, 45);
    }

    [Fact]
    public async Task With_an_output_schema_the_agents_functions_stay_callable()
    {
        var agent = Agent(Function("Calculator")) with { Output = new AgentOutputFormat(AgentOutputKind.Json, AnswerSchema) };
        var generator = ScriptedTokenGenerator.FromHarmony(
            FunctionCall("Compute.", "Calculator_evaluate", "{\"expression\":\"6*7\"}"), Final("Done.", "{\"answer\":42}"));

        var events = await Collect(Runner(generator).RunAsync(agent, "6*7?"));

        Assert.Equal("functions.Calculator_evaluate", Assert.Single(events.OfType<AgentEvent.ToolCall>()).Recipient);
        Assert.Equal("{\"answer\":42}", Assert.IsType<AgentEvent.RunCompleted>(events[^1]).Answer);
    }

    [Theory]
    [InlineData("required")]
    [InlineData("Calculator.evaluate")]
    public async Task A_required_tool_choice_forces_a_call_in_the_first_step_then_lets_the_model_answer(string choice)
    {
        var calculator = Function("Calculator");
        var agent = Agent(calculator) with
        {
            ToolChoice = choice == "required" ? AgentToolChoice.Required : new AgentToolChoice(AgentToolChoiceMode.Function, Function("Calculator", "evaluate")),
        };
        // The script answers straight away; the constraint turns the first step into a call.
        var generator = ScriptedTokenGenerator.FromHarmony(Final("No tool.", "42"), Final("Now answer.", "42"));

        var events = await Collect(Runner(generator).RunAsync(agent, "6*7?"));

        Assert.Equal("functions.Calculator_evaluate", Assert.Single(events.OfType<AgentEvent.ToolCall>()).Recipient);
        var completed = Assert.IsType<AgentEvent.RunCompleted>(events[^1]);
        Assert.Equal(AgentRunOutcome.Answered, completed.Outcome);
        Assert.Equal("42", completed.Answer);
    }

    [Fact]
    public async Task Tool_choice_none_offers_no_tools()
    {
        var agent = Agent(Function("Calculator"), Builtin("javascript")) with { ToolChoice = AgentToolChoice.None };
        var generator = ScriptedTokenGenerator.FromHarmony(Final("a", "42"));

        await Collect(Runner(generator).RunAsync(agent, "6*7?"));

        Assert.DoesNotContain("Calculator_evaluate", generator.PromptTexts[0]);
        Assert.DoesNotContain("javascript", generator.PromptTexts[0]);
    }
}
