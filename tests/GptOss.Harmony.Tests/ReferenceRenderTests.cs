using static GptOss.Harmony.Tests.H;

namespace GptOss.Harmony.Tests;

/// <summary>The rendering cases of openai/harmony's tests/test_harmony.py and src/tests.rs, same inputs, same bytes.</summary>
public class ReferenceRenderTests
{
    private static void AssertTokens(List<int> expected, List<int> actual)
    {
        Assert.Equal(Text(expected), Text(actual));
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void SimpleConvo()
    {
        var convo = new[]
        {
            Message.FromRole(Role.System, new SystemContent().WithModelIdentity("You are ChatGPT, a large language model trained by OpenAI.")),
            Msg(Role.User, "What is 2 + 2?"),
        };
        var tokens = Renderer.RenderConversationForCompletion(convo, Role.Assistant);
        AssertTokens(Special(Fixture.HarmonyData("test_simple_convo.txt")), tokens);
    }

    [Theory]
    [InlineData(ReasoningEffort.Low, "test_simple_convo_low_effort.txt", true)]
    [InlineData(ReasoningEffort.Medium, "test_simple_convo_medium_effort.txt", true)]
    [InlineData(ReasoningEffort.High, "test_simple_convo_high_effort.txt", true)]
    [InlineData(ReasoningEffort.Low, "test_simple_convo_low_effort_no_instruction.txt", false)]
    [InlineData(ReasoningEffort.Medium, "test_simple_convo_medium_effort_no_instruction.txt", false)]
    [InlineData(ReasoningEffort.High, "test_simple_convo_high_effort_no_instruction.txt", false)]
    public void SimpleConvoWithEffort(ReasoningEffort effort, string file, bool useInstruction)
    {
        var messages = new List<Message>
        {
            Message.FromRole(Role.System, new SystemContent()
                .WithModelIdentity("You are ChatGPT, a large language model trained by OpenAI.")
                .WithReasoningEffort(effort)),
        };
        if (useInstruction)
        {
            messages.Add(Message.FromRole(Role.Developer, new DeveloperContent().WithInstructions("Answer the user's questions like a robot.")));
        }
        messages.Add(Msg(Role.User, "What is the capital of the largest country in the world?"));
        AssertTokens(Special(Fixture.HarmonyData(file)), Renderer.RenderConversationForCompletion(messages, Role.Assistant));
    }

    [Theory]
    [InlineData("test_reasoning_system_message.txt", ReasoningEffort.Medium, null, null, "What is 2 + 2?")]
    [InlineData("test_reasoning_system_message_no_instruction.txt", ReasoningEffort.High, null, null, "What is the best place to eat candy in the world?")]
    [InlineData("test_reasoning_system_message_with_dates.txt", ReasoningEffort.Medium, "2021-01-01", "2021-01", "What is 42 * pi?")]
    public void ReasoningSystemMessage(string file, ReasoningEffort effort, string? date, string? cutoff, string question)
    {
        var system = new SystemContent()
            .WithModelIdentity("You are ChatGPT, a large language model trained by OpenAI.")
            .WithReasoningEffort(effort)
            .WithRequiredChannels("analysis", "final");
        if (date is not null) system = system.WithConversationStartDate(date);
        if (cutoff is not null) system = system.WithKnowledgeCutoff(cutoff);
        var convo = new[] { Message.FromRole(Role.System, system), Msg(Role.User, question) };
        AssertTokens(Special(Fixture.HarmonyData(file)), Renderer.RenderConversationForCompletion(convo, Role.Assistant));
    }

    [Fact]
    public void RenderFunctionsWithParameters()
    {
        var system = new SystemContent().WithReasoningEffort(ReasoningEffort.High).WithConversationStartDate("2025-06-28");
        var developer = new DeveloperContent()
            .WithInstructions("Always respond in riddles")
            .WithFunctionTools(
            [
                new ToolDescription("get_location", "Gets the location of the user."),
                new ToolDescription("get_current_weather", "Gets the current weather in the provided location.", Json("""
                    {"type": "object", "properties": {
                        "location": {"type": "string", "description": "The city and state, e.g. San Francisco, CA"},
                        "format": {"type": "string", "enum": ["celsius", "fahrenheit"], "default": "celsius"}},
                     "required": ["location"]}
                    """)),
                new ToolDescription("get_multiple_weathers", "Gets the current weather in the provided list of locations.", Json("""
                    {"type": "object", "properties": {
                        "locations": {"type": "array", "items": {"type": "string"},
                                      "description": "List of city and state, e.g. [\"San Francisco, CA\", \"New York, NY\"]"},
                        "format": {"type": "string", "enum": ["celsius", "fahrenheit"], "default": "celsius"}},
                     "required": ["locations"]}
                    """)),
                new ToolDescription("kitchensink", "A function with various complex schemas.", Json("""
                    {"description": "params object", "type": "object", "properties": {
                        "string": {"type": "string", "title": "STRING", "description": "A string", "examples": ["hello", "world"]},
                        "string_nullable": {"type": "string", "nullable": true, "description": "A nullable string", "default": "the default"},
                        "string_enum": {"type": "string", "enum": ["a", "b", "c"]},
                        "oneof_string_or_number": {"oneOf": [
                            {"type": "string", "default": "default_string_in_oneof"},
                            {"type": "number", "description": "numbers can happen too"}],
                          "description": "a oneof", "default": 20}}}
                    """)),
            ]);
        var convo = new[]
        {
            Message.FromRole(Role.System, system),
            Message.FromRole(Role.Developer, developer),
            Msg(Role.User, "What is the weather like in SF?"),
        };
        var tokens = Renderer.RenderConversationForCompletion(convo, Role.Assistant);
        Assert.Equal(Fixture.HarmonyData("test_render_functions_with_parameters.txt"), Tok.DecodeUtf8(tokens));
        Assert.Equal(Special(Fixture.HarmonyData("test_render_functions_with_parameters.txt")), tokens);
    }

    [Fact]
    public void NoTools()
    {
        var convo = new[] { Message.FromRole(Role.System, new SystemContent().WithConversationStartDate("2025-06-28")) };
        Assert.Equal(Fixture.HarmonyData("test_no_tools.txt"), Tok.DecodeUtf8(Renderer.RenderConversationForCompletion(convo, Role.Assistant)));
    }

    [Fact]
    public void BrowserToolOnly()
    {
        var convo = new[] { Message.FromRole(Role.System, new SystemContent().WithConversationStartDate("2025-06-28").WithBrowserTool()) };
        Assert.Equal(Fixture.HarmonyData("test_browser_tool_only.txt"), Tok.DecodeUtf8(Renderer.RenderConversationForCompletion(convo, Role.Assistant)));
    }

    [Fact]
    public void BrowserAndFunctionTool()
    {
        var convo = new[]
        {
            Message.FromRole(Role.System, new SystemContent().WithConversationStartDate("2025-06-28").WithBrowserTool()),
            Message.FromRole(Role.Developer, new DeveloperContent().WithFunctionTools(
            [
                new ToolDescription("lookup_weather",
                    "Use this tool to lookup the weather in a given location. Call it with the parameter 'location', can be any textual description of a location.",
                    Json("""{"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]}""")),
            ])),
        };
        Assert.Equal(Fixture.HarmonyData("test_browser_and_function_tool.txt"), Tok.DecodeUtf8(Renderer.RenderConversationForCompletion(convo, Role.Assistant)));
    }

    [Fact]
    public void BrowserAndPythonTool()
    {
        var convo = new[] { Message.FromRole(Role.System, new SystemContent().WithConversationStartDate("2025-06-28").WithBrowserTool().WithPythonTool()) };
        var tokens = Renderer.RenderConversationForCompletion(convo, Role.Assistant);
        Assert.Equal(Fixture.HarmonyData("test_browser_and_python_tool.txt"), Tok.DecodeUtf8(tokens));
        Assert.Equal(Special(Fixture.HarmonyData("test_browser_and_python_tool.txt")), tokens);
    }

    [Fact]
    public void DroppingCotByDefault()
    {
        var convo = new[]
        {
            Msg(Role.User, "What is 2 + 2?"),
            Msg(Role.Assistant, "User asks: “What is 2 + 2?” Simple arithmetic. Provide answer.").WithChannel("analysis"),
            Msg(Role.Assistant, "2 + 2 equals 4.").WithChannel("final"),
            Msg(Role.User, "What about 9 / 2?"),
        };
        var tokens = Renderer.RenderConversationForCompletion(convo, Role.Assistant, new RenderConversationConfig { AutoDropAnalysis = true });
        Assert.Equal(Fixture.HarmonyData("test_dropping_cot_by_default.txt"), Tok.DecodeUtf8(tokens));
        Assert.Equal(tokens, Renderer.RenderConversationForCompletion(convo, Role.Assistant));
    }

    [Fact]
    public void DoesNotDropIfOngoingAnalysis()
    {
        var convo = new[]
        {
            Msg(Role.User, "What is the weather in SF?"),
            Msg(Role.Assistant, "User asks: “What is the weather in SF?” We need to use lookup_weather tool.").WithChannel("analysis"),
            Msg(Role.Assistant, """{"location": "San Francisco"}""").WithChannel("commentary").WithRecipient("functions.lookup_weather").WithContentType("<|constrain|>json"),
            Message.FromAuthor(new Author(Role.Tool, "functions.lookup_weather"), """{"temperature": 20, "description": "sunny"}"""),
        };
        var tokens = Renderer.RenderConversationForCompletion(convo, Role.Assistant, new RenderConversationConfig { AutoDropAnalysis = true });
        string expected = Fixture.HarmonyData("test_does_not_drop_if_ongoing_analysis.txt");
        Assert.Equal(expected, Tok.DecodeUtf8(tokens));
        Assert.Equal(Special(expected), tokens);
    }

    [Fact]
    public void PreserveCot()
    {
        var convo = new[]
        {
            Msg(Role.User, "What is 2 + 2?"),
            Msg(Role.Assistant, "User asks a simple question: \"What is 2 + 2?\" The answer: 4.").WithChannel("analysis"),
            Msg(Role.Assistant, "2 + 2 equals 4.").WithChannel("final"),
            Msg(Role.User, "What about 9 / 2?"),
        };
        var tokens = Renderer.RenderConversationForCompletion(convo, Role.Assistant, new RenderConversationConfig { AutoDropAnalysis = false });
        Assert.Equal(Fixture.HarmonyData("test_preserve_cot.txt"), Tok.DecodeUtf8(tokens));
    }

    [Fact]
    public void KeepAnalysisBetweenFinalMessages()
    {
        var convo = new[]
        {
            Msg(Role.User, "What is 2 + 2?"),
            Msg(Role.Assistant, "thinking 2+2").WithChannel("analysis"),
            Msg(Role.Assistant, "4").WithChannel("final"),
            Msg(Role.User, "What is 3 + 5?"),
            Msg(Role.Assistant, "thinking 3+5").WithChannel("analysis"),
            Msg(Role.Assistant, "8").WithChannel("final"),
        };
        Assert.Equal(Fixture.HarmonyData("test_keep_analysis_between_finals.txt"), Tok.DecodeUtf8(Renderer.RenderConversation(convo)));
    }

    [Fact]
    public void RenderAndRenderConversationRoundtrip()
    {
        var msg = Msg(Role.User, "Hello");
        var tokensMsg = Renderer.Render(msg);
        var tokensConvo = Renderer.RenderConversation([msg]);
        Assert.Equal(tokensMsg, tokensConvo);
        var completion = Renderer.RenderConversationForCompletion([msg], Role.Assistant);
        Assert.Equal(tokensConvo, completion.Take(tokensConvo.Count));
        Assert.Equal([HarmonyTokens.Start, 173781], completion.Skip(tokensConvo.Count));
    }

    [Fact]
    public void RenderConversationForTrainingFinalChannel()
    {
        var convo = new[] { Msg(Role.User, "hi"), Msg(Role.Assistant, "hello").WithChannel("final") };
        var training = Renderer.RenderConversationForTraining(convo);
        var regular = Renderer.RenderConversation(convo);
        Assert.Equal(regular.SkipLast(1), training.SkipLast(1));
        Assert.Equal(HarmonyTokens.End, regular[^1]);
        Assert.Equal(HarmonyTokens.Return, training[^1]);
    }

    [Fact]
    public void RenderConversationForTrainingNonFinal()
    {
        var convo = new[] { Msg(Role.User, "hi") };
        Assert.Equal(Renderer.RenderConversation(convo), Renderer.RenderConversationForTraining(convo));
    }

    [Fact]
    public void ToolCallWithConstrainTokenizedCorrectly()
    {
        const string text = "<|start|>assistant to=functions.get_weather<|channel|>commentary <|constrain|>json<|message|>{\"location\": \"Tokyo\"}<|call|>";
        var tokens = Special(text);
        var parsed = StreamableParser.ParseMessagesFromCompletionTokens(tokens, null);
        var expected = Msg(Role.Assistant, "{\"location\": \"Tokyo\"}").WithChannel("commentary").WithRecipient("functions.get_weather").WithContentType("<|constrain|>json");
        Assert.Equal([expected], parsed);
        Assert.Equal(text, Tok.DecodeUtf8(tokens));
        Assert.Equal(tokens, Renderer.RenderConversation(parsed));
    }

    [Fact]
    public void ToolResponseRendersAsReferenceText()
    {
        var message = Message.FromAuthor(new Author(Role.Tool, "browser.search"), "{\"result\": \"https://openai.com/\"}")
            .WithChannel("commentary").WithRecipient("assistant");
        var tokens = Renderer.Render(message);
        tokens.RemoveAt(tokens.Count - 1); // drop <|end|>, as upstream does
        Assert.Equal(Fixture.HarmonyData("test_tool_response_parsing.txt"), Tok.DecodeUtf8(tokens));
        Assert.Equal([message], StreamableParser.ParseMessagesFromCompletionTokens(tokens, null));
    }

    [Fact]
    public void SystemContentOutsideSystemMessageIsAnError()
    {
        var e = Assert.Throws<HarmonyRenderException>(() => Renderer.Render(Message.FromRole(Role.User, new SystemContent())));
        Assert.Equal("SystemContent may only appear in system messages, found in User", e.Message);
        var d = Assert.Throws<HarmonyRenderException>(() => Renderer.Render(Message.FromRole(Role.Assistant, new DeveloperContent())));
        Assert.Equal("DeveloperContent may only appear in developer messages, found in Assistant", d.Message);
        var t = Assert.Throws<HarmonyRenderException>(() => Renderer.Render(Msg(Role.Tool, "x")));
        Assert.Equal("Tools should have a name!", t.Message);
    }
}
