using static GptOss.Harmony.Tests.H;

namespace GptOss.Harmony.Tests;

/// <summary>Rendering cases of shared/docs/harmony-format.md (§3–§8), checked against the reference build there.</summary>
public class SpecRenderTests
{
    private static string Render(Message message, RenderOptions? options = null) => Tok.DecodeUtf8(Renderer.Render(message, options));

    public static TheoryData<Message, string> MessageLayouts => new()
    {
        { Msg(Role.User, "What is 2 + 2?"), "<|start|>user<|message|>What is 2 + 2?<|end|>" },
        { Msg(Role.Assistant, "User asks ...").WithChannel("analysis"), "<|start|>assistant<|channel|>analysis<|message|>User asks ...<|end|>" },
        { Msg(Role.Assistant, "{\"location\": \"Tokyo\"}").WithChannel("commentary").WithRecipient("functions.get_weather").WithContentType("<|constrain|>json"),
          "<|start|>assistant to=functions.get_weather<|channel|>commentary <|constrain|>json<|message|>{\"location\": \"Tokyo\"}<|call|>" },
        { Msg(Role.Assistant, "print(1)").WithChannel("analysis").WithRecipient("python"), "<|start|>assistant to=python<|channel|>analysis<|message|>print(1)<|call|>" },
        { Message.FromAuthor(new Author(Role.Tool, "functions.get_weather"), "{\"sunny\": true}").WithRecipient("assistant").WithChannel("commentary"),
          "<|start|>functions.get_weather to=assistant<|channel|>commentary<|message|>{\"sunny\": true}<|end|>" },
        { Message.FromAuthor(new Author(Role.Tool, "functions.lookup_weather"), "{\"temperature\": 20}"), "<|start|>functions.lookup_weather<|message|>{\"temperature\": 20}<|end|>" },
        { Message.FromAuthor(new Author(Role.User, "alice"), "hi"), "<|start|>user:alice<|message|>hi<|end|>" },
        { Msg(Role.Assistant, "x").WithChannel("commentary").WithContentType("json"), "<|start|>assistant<|channel|>commentary json<|message|>x<|end|>" },
        // recipient "all" is not printed, but an assistant message with a recipient still ends with <|call|> (a reference quirk).
        { Msg(Role.Assistant, "x").WithRecipient("all"), "<|start|>assistant<|message|>x<|call|>" },
        { Msg(Role.User, "text <|end|> stays text"), "<|start|>user<|message|>text <|end|> stays text<|end|>" },
    };

    [Theory]
    [MemberData(nameof(MessageLayouts))]
    public void MessageLayout(Message message, string expected) => Assert.Equal(expected, Render(message));

    [Fact]
    public void SpecialTokenTextInContentIsPlainText()
    {
        var tokens = Renderer.Render(Msg(Role.User, "<|end|>"));
        Assert.Equal([HarmonyTokens.Start, 1428, HarmonyTokens.Message, .. Tok.EncodeOrdinary("<|end|>"), HarmonyTokens.End], tokens);
        Assert.Equal(2, tokens.Count(Tok.IsSpecial) - 1); // <|start|>, <|message|>, <|end|> only
    }

    [Fact]
    public void ConstrainContentTypeIsSpaceSpecialThenText()
    {
        var tokens = Renderer.Render(Msg(Role.Assistant, "{}").WithRecipient("functions.f").WithChannel("commentary").WithContentType("<|constrain|>json"));
        int constrain = tokens.IndexOf(HarmonyTokens.Constrain);
        Assert.Equal(220, tokens[constrain - 1]);
        Assert.Equal(4108, tokens[constrain + 1]);
        Assert.Equal(HarmonyTokens.Call, tokens[^1]);
    }

    [Fact]
    public void DefaultSystemMessage()
    {
        Assert.Equal(
            "<|start|>system<|message|>You are ChatGPT, a large language model trained by OpenAI.\nKnowledge cutoff: 2024-06\n\nReasoning: medium\n\n# Valid channels: analysis, commentary, final. Channel must be included for every message.<|end|>",
            Render(Message.FromRole(Role.System, new SystemContent())));
        Assert.Equal("<|start|>system<|message|><|end|>", Render(Message.FromRole(Role.System, SystemContent.Empty)));
        Assert.Equal("<|start|>developer<|message|><|end|>", Render(Message.FromRole(Role.Developer, new DeveloperContent())));
    }

    [Fact]
    public void FunctionsNoteNeedsAFunctionsNamespaceOrTheOption()
    {
        var system = Message.FromRole(Role.System, new SystemContent().WithConversationStartDate("2025-06-28").WithReasoningEffort(ReasoningEffort.High));
        const string note = "\nCalls to these tools must go to the commentary channel: 'functions'.";
        Assert.DoesNotContain(note, Render(system));
        Assert.Equal(
            "<|start|>system<|message|>You are ChatGPT, a large language model trained by OpenAI.\nKnowledge cutoff: 2024-06\nCurrent date: 2025-06-28\n\nReasoning: high\n\n# Valid channels: analysis, commentary, final. Channel must be included for every message." + note + "<|end|>",
            Render(system, new RenderOptions { ConversationHasFunctionTools = true }));

        var withFunctions = Message.FromRole(Role.Developer, new DeveloperContent().WithFunctionTools([new ToolDescription("f", "")]));
        var emptyFunctions = Message.FromRole(Role.Developer, new DeveloperContent().WithFunctionTools([]));
        var otherNamespace = Message.FromRole(Role.Developer, new DeveloperContent().WithTools(new ToolNamespaceConfig("calendar", null, [new ToolDescription("f", "")])));
        Assert.Contains(note, Tok.DecodeUtf8(Renderer.RenderConversation([system, withFunctions])));
        Assert.DoesNotContain(note, Tok.DecodeUtf8(Renderer.RenderConversation([system, emptyFunctions])));
        Assert.DoesNotContain(note, Tok.DecodeUtf8(Renderer.RenderConversation([system, otherNamespace])));
        Assert.Equal("<|start|>developer<|message|># Tools\n\n## functions\n<|end|>", Render(emptyFunctions));
    }

    [Fact]
    public void DeveloperInstructionsAndTools()
    {
        Assert.Equal("<|start|>developer<|message|># Instructions\n\nAnswer the user's questions like a robot.<|end|>",
            Render(Message.FromRole(Role.Developer, new DeveloperContent().WithInstructions("Answer the user's questions like a robot."))));
        var developer = new DeveloperContent().WithFunctionTools(
        [
            new ToolDescription("lookup_weather",
                "Use this tool to lookup the weather in a given location. Call it with the parameter 'location', can be any textual description of a location.",
                Json("""{"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]}""")),
        ]);
        Assert.Equal(
            "<|start|>developer<|message|># Tools\n\n## functions\n\nnamespace functions {\n\n// Use this tool to lookup the weather in a given location. Call it with the parameter 'location', can be any textual description of a location.\ntype lookup_weather = (_: {\nlocation: string,\n}) => any;\n\n} // namespace functions<|end|>",
            Render(Message.FromRole(Role.Developer, developer)));
    }

    [Fact]
    public void NamespacesSortedByNameWithDescriptions()
    {
        var developer = new DeveloperContent()
            .WithTools(new ToolNamespaceConfig("functions", "line one\nline two", [new ToolDescription("f", "first\n\nthird")]))
            .WithTools(new ToolNamespaceConfig("calendar", "Just text.\nMore.", []));
        Assert.Equal(
            "<|start|>developer<|message|># Tools\n\n## calendar\n\nJust text.\nMore.\n\n## functions\n\n// line one\n// line two\nnamespace functions {\n\n// first\n// \n// third\ntype f = () => any;\n\n} // namespace functions<|end|>",
            Render(Message.FromRole(Role.Developer, developer)));
    }

    public static TheoryData<string, string> Schemas => new()
    {
        { """{"type":"object","properties":{"when":{"type":"object","properties":{"date":{"type":"string"}},"required":["date"]}}}""",
          "{\nwhen?: {\n    date: string,\n    },\n}" },
        { """{"type":"object","properties":{"when":{"type":"object","description":"When it happens","properties":{"date":{"type":"string"}}}}}""",
          "{\n// When it happens\nwhen?:     // When it happens\n{\n    date?: string,\n    },\n}" },
        { """{"type":"object","properties":{"a":{"type":"array","items":{"type":"string","enum":["x","y"]}},"b":{"type":"array"},"c":{"type":["integer","null"]},"d":{"anyOf":[{"type":"string"}]},"e":{"type":"integer"},"f":{"type":"boolean","default":true},"g":{"type":"null"}},"required":["a","e"]}""",
          "{\na: \"x\" | \"y\"[],\nb?: Array<any>,\nc?: number | null,\nd?: any,\ne: number,\nf?: boolean, // default: true\ng?: any,\n}" },
        { """{"type":"object","properties":{"n":{"type":"number","nullable":true,"default":null},"s":{"type":"string","default":"say \"hi\""},"l":{"type":"array","items":{"type":"number"},"default":[1,2]},"o":{"type":"object","properties":{},"default":{"k":"v"}},"x":{"type":"number","default":1.50},"e":{"type":"string","enum":["u","v"],"default":"u"}}}""",
          "{\nn?: number | null, // default: null\ns?: string, // default: \"say \"hi\"\"\nl?: number[], // default: [1,2]\no?: {\n    }, // default: {\"k\":\"v\"}\nx?: number, // default: 1.5\ne?: \"u\" | \"v\", // default: u\n}" },
        { """{"oneOf":[{"type":"string","description":"a name"},{"type":"number","nullable":true,"default":3}]}""",
          "\n | string // a name\n | number | null // default: 3" },
        { """{"type":"object","properties":{"v":{"description":"same","oneOf":[{"type":"string","description":"same"},{"type":"object","properties":{"q":{"type":"string"}}}]}}}""",
          "{\nv?:\n | string\n | {\n   q?: string,\n   }\n,\n}" },
        // quirks: a non-array oneOf hides the description and default; non-object and odd schemas become any.
        { """{"type":"object","properties":{"p":{"oneOf":null,"description":"d","default":1,"type":"string"}}}""", "{\np?: string,\n}" },
        { """{"type":"object","properties":{"q":5,"r":{"type":[1,2]},"s":{"type":"array","items":null}}}""", "{\nq?: any,\nr?: any,\ns?: any[],\n}" },
        { """{"type":"object","properties":{"t":{"type":"number","title":"T","examples":[1,"two"]}},"required":["t","zzz"]}""", "{\n// T\n//\n// Examples:\n// - \"two\"\nt: number,\n}" },
        { """{"type":"object","properties":{"u":{"type":"string","description":"multi\nline"}}}""", "{\n// multi\nline\nu?: string,\n}" },
    };

    [Theory]
    [MemberData(nameof(Schemas))]
    public void SchemaToTypeScript(string schema, string expected)
    {
        var developer = new DeveloperContent().WithFunctionTools([new ToolDescription("t", "", Json(schema))]);
        string text = Render(Message.FromRole(Role.Developer, developer));
        string prefix = "<|start|>developer<|message|># Tools\n\n## functions\n\nnamespace functions {\n\ntype t = (_: ";
        Assert.StartsWith(prefix, text);
        Assert.Equal(expected, text[prefix.Length..text.IndexOf(") => any;", StringComparison.Ordinal)]);
    }

    [Fact]
    public void ThreeTurnsOnlyFirstAnalysisDropped()
    {
        var convo = new[]
        {
            Msg(Role.User, "q1"), Msg(Role.Assistant, "a1").WithChannel("analysis"), Msg(Role.Assistant, "f1").WithChannel("final"),
            Msg(Role.User, "q2"), Msg(Role.Assistant, "a2").WithChannel("analysis"), Msg(Role.Assistant, "f2").WithChannel("final"),
            Msg(Role.User, "q3"), Msg(Role.Assistant, "a3").WithChannel("analysis"), Msg(Role.Assistant, "f3").WithChannel("final"),
        };
        string text = Tok.DecodeUtf8(Renderer.RenderConversation(convo));
        Assert.DoesNotContain("a1", text);
        Assert.Contains("a2", text);
        Assert.Contains("a3", text);
        Assert.Contains("a1", Tok.DecodeUtf8(Renderer.RenderConversation(convo, new RenderConversationConfig { AutoDropAnalysis = false })));

        var training = Renderer.RenderConversationForTraining(convo);
        Assert.Equal(HarmonyTokens.Return, training[^1]);
        Assert.Contains("a3", Tok.DecodeUtf8(training));
    }

    [Fact]
    public void BuiltinToolCallsOnAnalysisAreDroppedBeforeTheFirstFinal()
    {
        var convo = new[]
        {
            Msg(Role.User, "q"),
            Msg(Role.Assistant, "{\"query\":\"x\"}").WithChannel("analysis").WithRecipient("browser.search"),
            Message.FromAuthor(new Author(Role.Tool, "browser.search"), "result").WithRecipient("assistant").WithChannel("analysis"),
            Msg(Role.Assistant, "done").WithChannel("final"),
        };
        Assert.Equal("<|start|>user<|message|>q<|end|><|start|>assistant<|channel|>final<|message|>done<|end|>", Tok.DecodeUtf8(Renderer.RenderConversation(convo)));
    }

    [Fact]
    public void TrailingToolCallKeepsCallInTraining()
    {
        var convo = new[] { Msg(Role.User, "q"), Msg(Role.Assistant, "{}").WithChannel("commentary").WithRecipient("functions.f") };
        Assert.Equal(HarmonyTokens.Call, Renderer.RenderConversationForTraining(convo)[^1]);
    }
}
