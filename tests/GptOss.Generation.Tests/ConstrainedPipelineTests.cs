using System.Text.Json;
using GptOss.Constraints;
using GptOss.Harmony;

namespace GptOss.Generation.Tests;

/// <summary>A request's <see cref="HarmonyChatRequest.Constraint"/> reaches the generator compiled, and the scripted generator obeys it.</summary>
public sealed class ConstrainedPipelineTests
{
    private static readonly Message[] Conversation =
    [
        Message.FromRole(Role.System, new SystemContent().WithReasoningEffort(ReasoningEffort.Low)),
        Message.FromRole(Role.User, "Weather in Paris as JSON?"),
    ];

    private static readonly JsonElement WeatherSchema = JsonDocument.Parse(
        """{"type":"object","properties":{"city":{"type":"string","maxLength":12},"celsius":{"type":"integer","minimum":-50,"maximum":60}},"required":["city","celsius"],"additionalProperties":false}""").RootElement;

    private static async Task<GenerationCompleted> Run(ScriptedTokenGenerator generator, AnswerConstraint constraint, int maxTokens = 200)
    {
        var request = new HarmonyChatRequest(Conversation) { Constraint = constraint, Generation = new GenerationOptions { MaxNewTokens = maxTokens } };
        GenerationCompleted? end = null;
        await foreach (var e in new HarmonyChatPipeline(generator).RunAsync(request)) end = e as GenerationCompleted ?? end;
        return end!;
    }

    [Fact]
    public async Task A_script_the_schema_allows_comes_back_unchanged()
    {
        const string script = "<|channel|>analysis<|message|>Answer in JSON.<|end|><|start|>assistant<|channel|>final<|message|>{\"city\":\"Paris\",\"celsius\":18}<|return|>";
        var end = await Run(ScriptedTokenGenerator.FromHarmony(script), new AnswerConstraint { Format = new AnswerFormat(WeatherSchema) });

        Assert.Equal(["analysis", "final"], end.Messages.Select(m => m.Channel));
        Assert.Equal("{\"city\":\"Paris\",\"celsius\":18}", end.Messages[^1].Text);
        Assert.Equal(HarmonyFinishReason.Stop, end.FinishReason);
    }

    [Fact]
    public async Task Prose_where_the_schema_wants_JSON_is_replaced_by_a_valid_document_within_max_tokens()
    {
        var generator = ScriptedTokenGenerator.FromHarmony("<|channel|>final<|message|>It is 18 degrees in Paris.<|return|>");
        var end = await Run(generator, new AnswerConstraint { Format = new AnswerFormat(WeatherSchema) }, maxTokens: 60);

        Assert.Equal(HarmonyFinishReason.Stop, end.FinishReason);
        Assert.True(end.Usage.CompletionTokens <= 60);
        using var answer = JsonDocument.Parse(Assert.Single(end.Messages, m => m.Channel == "final").Text);
        Assert.True(answer.RootElement.GetProperty("city").GetString()!.Length <= 12);
        Assert.InRange(answer.RootElement.GetProperty("celsius").GetInt32(), -50, 60);
    }

    [Fact]
    public async Task A_required_call_forces_the_function_frame_instead_of_a_final_answer()
    {
        var generator = ScriptedTokenGenerator.FromHarmony("<|channel|>final<|message|>I cannot call tools.<|return|>");
        var end = await Run(generator, new AnswerConstraint { RequiredCall = [new FunctionSignature("get_weather", WeatherSchema)] });

        Assert.Equal(HarmonyFinishReason.ToolCalls, end.FinishReason);
        var call = end.Messages[^1];
        Assert.All(end.Messages.SkipLast(1), m => Assert.Equal("analysis", m.Channel));
        Assert.Equal("functions.get_weather", call.Recipient);
        Assert.Equal("commentary", call.Channel);
        using var arguments = JsonDocument.Parse(call.Text);
        Assert.True(arguments.RootElement.TryGetProperty("celsius", out _));
    }

    [Fact]
    public async Task The_analysis_ends_at_the_reasoning_budget_and_the_answer_follows()
    {
        var generator = ScriptedTokenGenerator.FromHarmony("<|channel|>analysis<|message|>" + string.Concat(Enumerable.Repeat("think more ", 100)));
        var end = await Run(generator, new AnswerConstraint { Format = AnswerFormat.AnyJsonObject, MaxReasoningTokens = 8 });

        Assert.Equal(["analysis", "final"], end.Messages.Select(m => m.Channel));
        Assert.Equal(8, HarmonyTokenizer.Shared.EncodeOrdinary(end.Messages[0].Text).Count);
        using var _ = JsonDocument.Parse(end.Messages[^1].Text);
    }

    [Fact]
    public async Task Each_request_keeps_its_own_reasoning_budget_when_the_compiled_schema_is_shared()
    {
        const string thinking = "<|channel|>analysis<|message|>think more think more think more think more think more think more";
        var schema = JsonDocument.Parse("""{"type":"object","properties":{"budget_test":{"type":"boolean"}}}""").RootElement;
        foreach (int budget in new[] { 6, 2 })
        {
            var end = await Run(ScriptedTokenGenerator.FromHarmony(thinking), new AnswerConstraint { Format = new AnswerFormat(schema), MaxReasoningTokens = budget });
            Assert.Equal(budget, HarmonyTokenizer.Shared.EncodeOrdinary(end.Messages[0].Text).Count);
        }
    }

    [Fact]
    public async Task An_unsupported_schema_fails_before_the_generator_is_called()
    {
        var generator = ScriptedTokenGenerator.FromHarmony("<|channel|>final<|message|>{}<|return|>");
        var schema = JsonDocument.Parse("""{"type":"object","patternProperties":{"^x":{}}}""").RootElement;

        var error = await Assert.ThrowsAsync<JsonSchemaNotSupportedException>(() => Run(generator, new AnswerConstraint { Format = new AnswerFormat(schema) }));
        Assert.Equal("patternProperties", error.Keyword);
        Assert.Empty(generator.Prompts);
    }
}
