using GptOss.Testing;
using GptOss.Harmony;

namespace GptOss.Generation.Tests;

public sealed class HarmonyChatPipelineTests
{
    private static readonly Message[] Conversation =
    [
        Message.FromRole(Role.System, new SystemContent()),
        Message.FromRole(Role.User, "What is the weather in Paris?"),
    ];

    private static async Task<List<HarmonyChatEvent>> Run(ScriptedTokenGenerator generator, HarmonyChatRequest? request = null)
    {
        var events = new List<HarmonyChatEvent>();
        await foreach (var e in new HarmonyChatPipeline(generator).RunAsync(request ?? new HarmonyChatRequest(Conversation))) events.Add(e);
        return events;
    }

    [Fact]
    public async Task A_tool_call_streams_reasoning_then_reports_the_call_and_usage()
    {
        var generator = ScriptedTokenGenerator.FromHarmony(HarmonyScripts.WeatherCall);

        var events = await Run(generator);

        Assert.Equal("User asks for the weather in Paris. I should call get_weather.",
            string.Concat(events.OfType<ReasoningDelta>().Select(d => d.Text)));
        Assert.Empty(events.OfType<AnswerDelta>());
        var call = Assert.Single(events.OfType<ToolCallRequested>()).Call;
        Assert.Equal("functions.Weather_get_weather", call.Recipient);
        Assert.Equal("functions", call.Namespace);
        Assert.Equal("Weather_get_weather", call.Name);
        Assert.Equal("commentary", call.Channel);
        Assert.Equal("<|constrain|>json", call.ContentType);
        Assert.Equal("{\"city\":\"Paris\"}", call.Arguments);
        var end = Assert.IsType<GenerationCompleted>(events[^1]);
        Assert.Equal(HarmonyFinishReason.ToolCalls, end.FinishReason);
        Assert.Equal(["analysis", "commentary"], end.Messages.Select(m => m.Channel));
        Assert.Equal(generator.Prompts[0].Count, end.Usage.PromptTokens);
        Assert.Equal(HarmonyTokenizer.Shared.Encode(HarmonyScripts.WeatherCall, allowSpecial: true).Count, end.Usage.CompletionTokens);
        Assert.EndsWith("<|start|>assistant", generator.PromptTexts[0]);
        Assert.Contains(HarmonyTokens.Call, generator.Options[0].StopTokens);
        Assert.Contains(HarmonyTokens.Return, generator.Options[0].StopTokens);
    }

    [Fact]
    public async Task A_final_answer_streams_as_answer_text_and_stops()
    {
        var events = await Run(ScriptedTokenGenerator.FromHarmony(HarmonyScripts.WeatherAnswer));

        Assert.Equal("It is 18°C in Paris.", string.Concat(events.OfType<AnswerDelta>().Select(d => d.Text)));
        Assert.Equal("The tool says 18 degrees. Answer briefly.", string.Concat(events.OfType<ReasoningDelta>().Select(d => d.Text)));
        Assert.Empty(events.OfType<ToolCallRequested>());
        Assert.Equal(HarmonyFinishReason.Stop, Assert.IsType<GenerationCompleted>(events[^1]).FinishReason);
    }

    [Fact]
    public async Task A_preamble_is_commentary_text_not_answer()
    {
        var script = "<|channel|>commentary<|message|>Let me check.<|end|>" +
            "<|start|>assistant<|channel|>commentary to=functions.f <|constrain|>json<|message|>{}<|call|>";

        var events = await Run(ScriptedTokenGenerator.FromHarmony(script));

        Assert.Equal("Let me check.", string.Concat(events.OfType<PreambleDelta>().Select(d => d.Text)));
        Assert.Empty(events.OfType<AnswerDelta>());
        Assert.Single(events.OfType<ToolCallRequested>());
    }

    [Fact]
    public async Task The_token_limit_ends_with_length_and_a_cut_off_call_is_not_requested()
    {
        var generator = ScriptedTokenGenerator.FromHarmony(HarmonyScripts.WeatherCall);
        var cutInsideArguments = HarmonyTokenizer.Shared.Encode(HarmonyScripts.WeatherCall, allowSpecial: true).Count - 3;

        var events = await Run(generator, new HarmonyChatRequest(Conversation) { Generation = new GenerationOptions { MaxNewTokens = cutInsideArguments } });

        Assert.Empty(events.OfType<ToolCallRequested>());
        Assert.Contains(events.OfType<OutputProblem>(), p => p.Description.Contains("cut off"));
        Assert.Equal(HarmonyFinishReason.Length, Assert.IsType<GenerationCompleted>(events[^1]).FinishReason);
    }

    [Fact]
    public async Task A_malformed_header_is_reported_and_skipped_and_parsing_resumes_at_the_next_message()
    {
        var script = "<|channel|><|message|>junk<|end|><|start|>assistant<|channel|>final<|message|>Recovered.<|return|>";

        var events = await Run(ScriptedTokenGenerator.FromHarmony(script));

        Assert.Single(events.OfType<OutputProblem>());
        Assert.Equal("Recovered.", string.Concat(events.OfType<AnswerDelta>().Select(d => d.Text)));
        var end = Assert.IsType<GenerationCompleted>(events[^1]);
        Assert.Equal("Recovered.", Assert.Single(end.Messages).Text);
    }

    [Fact]
    public async Task Text_without_a_header_is_salvaged_as_the_answer()
    {
        var events = await Run(ScriptedTokenGenerator.FromHarmony("I must refuse<|end|>"));

        Assert.Equal("I must refuse", string.Concat(events.OfType<AnswerDelta>().Select(d => d.Text)));
    }

    [Fact]
    public async Task Output_that_ends_inside_a_header_ends_the_generation_without_throwing()
    {
        var events = await Run(ScriptedTokenGenerator.FromHarmony("<|channel|>final"));

        Assert.Empty(events.OfType<AnswerDelta>());
        Assert.Empty(events.OfType<ToolCallRequested>());
        Assert.Equal(HarmonyFinishReason.Stop, Assert.IsType<GenerationCompleted>(events[^1]).FinishReason);
    }

    [Fact]
    public async Task A_stop_sequence_cuts_the_answer_even_across_deltas()
    {
        var script = HarmonyScripts.Final("Think.", "Count: one, two, STOP three, four");

        var events = await Run(ScriptedTokenGenerator.FromHarmony(script), new HarmonyChatRequest(Conversation) { StopSequences = ["STOP"] });

        Assert.Equal("Count: one, two, ", string.Concat(events.OfType<AnswerDelta>().Select(d => d.Text)));
        var end = Assert.IsType<GenerationCompleted>(events[^1]);
        Assert.Equal(HarmonyFinishReason.Stop, end.FinishReason);
        Assert.Equal("Count: one, two, ", end.Messages[^1].Text);
    }

    [Fact]
    public void Reasoning_of_a_finished_turn_is_dropped_but_a_tool_loop_keeps_its_own()
    {
        Message Assistant(string channel, string text) => Message.FromRole(Role.Assistant, text) with { Channel = channel };
        var finishedTurn = new[]
        {
            Message.FromRole(Role.User, "Hi"),
            Assistant("analysis", "OLD-THOUGHT"),
            Assistant("final", "Hello!"),
            Message.FromRole(Role.User, "Weather?"),
            Assistant("analysis", "NEW-THOUGHT"),
            Assistant("commentary", "{}") with { Recipient = "functions.w", ContentType = "<|constrain|>json" },
            Message.FromAuthor(new Author(Role.Tool, "functions.w"), "{\"t\":18}") with { Recipient = "assistant", Channel = "commentary" },
        };

        var text = HarmonyTokenizer.Shared.Decode(HarmonyChatPipeline.RenderPrompt(finishedTurn));

        Assert.DoesNotContain("OLD-THOUGHT", text);
        Assert.Contains("<|start|>assistant<|channel|>analysis<|message|>NEW-THOUGHT<|end|>", text);
        Assert.Contains("<|start|>functions.w to=assistant<|channel|>commentary<|message|>{\"t\":18}<|end|>", text);
    }

    [Fact]
    public async Task The_second_step_of_a_tool_loop_reuses_the_cached_prefix()
    {
        var generator = ScriptedTokenGenerator.FromHarmony(HarmonyScripts.WeatherCall, HarmonyScripts.WeatherAnswer);
        var pipeline = new HarmonyChatPipeline(generator);
        var first = await Last(pipeline.RunAsync(new HarmonyChatRequest(Conversation)));
        var call = first.Messages[^1];
        var next = Conversation.Concat(first.Messages)
            .Append(Message.FromAuthor(new Author(Role.Tool, call.Recipient), "{\"t\":18}") with { Recipient = "assistant", Channel = call.Channel })
            .ToList();

        var second = await Last(pipeline.RunAsync(new HarmonyChatRequest(next)));

        Assert.Equal(0, first.Usage.CachedPromptTokens);
        Assert.True(second.Usage.CachedPromptTokens > first.Usage.PromptTokens,
            $"cached {second.Usage.CachedPromptTokens} of {second.Usage.PromptTokens}, first prompt {first.Usage.PromptTokens}");
    }

    private static async Task<GenerationCompleted> Last(IAsyncEnumerable<HarmonyChatEvent> events)
    {
        GenerationCompleted? last = null;
        await foreach (var e in events) last = e as GenerationCompleted ?? last;
        return last!;
    }
}
