using static GptOss.Harmony.Tests.H;

namespace GptOss.Harmony.Tests;

/// <summary>The parsing cases of openai/harmony's tests/test_harmony.py and src/tests.rs.</summary>
public class ReferenceParseTests
{
    private static readonly Message WeatherCall =
        Msg(Role.Assistant, "{\"latitude\":48.8566,\"longitude\":2.3522}").WithChannel("commentary").WithRecipient("functions.get_weather").WithContentType("<|constrain|>json");

    [Fact]
    public void SimpleReasoningResponse()
    {
        var messages = StreamableParser.ParseMessagesFromCompletionTokens(Fixture.HarmonyTokenIds("test_simple_reasoning_response.txt"), Role.Assistant);
        Assert.Equal(
            [
                Msg(Role.Assistant, "User asks: \"What is 2 + 2?\" Simple arithmetic. Provide answer.").WithChannel("analysis"),
                Msg(Role.Assistant, "2 + 2 = 4.").WithChannel("final"),
            ],
            messages);
    }

    [Fact]
    public void SimpleToolCall()
    {
        int[] response =
        [
            200005, 35644, 200008, 1844, 31064, 25, 392, 4827, 382, 290, 11122, 306, 40510, 16842,
            1416, 1309, 316, 1199, 37342, 170154, 4584, 13, 200007, 200006, 173781, 200005, 35644, 316,
            28, 29712, 170154, 3490, 200008, 10848, 7693, 1243, 392, 173844, 18583,
        ];
        Assert.Equal(
            [
                Msg(Role.Assistant, "User asks: \"What is the weather in Tokyo?\" We need to use lookup_weather tool.").WithChannel("analysis"),
                Msg(Role.Assistant, "{\"location\": \"Tokyo\"}").WithChannel("analysis").WithRecipient("lookup_weather").WithContentType("code"),
            ],
            StreamableParser.ParseMessagesFromCompletionTokens(response, Role.Assistant));
    }

    [Theory]
    [InlineData("<|start|>assistant to=functions.get_weather<|channel|>commentary<|constrain|>json<|message|>{\"location\": \"Tokyo\"}<|call|>")]
    [InlineData("<|start|>assistant to=functions.get_weather<|channel|>commentary<|constrain|>json<|message|>{\"location\": \"Tokyo\"}<|end|>")]
    public void ToolCallWithConstrainMarkerAdjacent(string text)
    {
        var expected = Msg(Role.Assistant, "{\"location\": \"Tokyo\"}").WithChannel("commentary").WithRecipient("functions.get_weather").WithContentType("<|constrain|>json");
        Assert.Equal([expected], StreamableParser.ParseMessagesFromCompletionTokens(Special(text), null));
    }

    [Fact]
    public void ToolCallWithChannelBeforeRecipientAndConstrainAdjacent()
    {
        const string text = "<|start|>assistant<|channel|>commentary to=functions.get_weather<|constrain|>json<|message|>{\"latitude\":48.8566,\"longitude\":2.3522}<|call|>";
        Assert.Equal([WeatherCall], StreamableParser.ParseMessagesFromCompletionTokens(Special(text), null));
    }

    [Fact]
    public void StreamableParserToolCallWithConstrainAdjacent()
    {
        const string text = "<|start|>assistant<|channel|>commentary to=functions.get_weather<|constrain|>json<|message|>{\"latitude\":48.8566,\"longitude\":2.3522}<|call|>";
        var parser = new StreamableParser(null);
        foreach (int token in Special(text)) parser.Process(token);
        Assert.Equal([WeatherCall], parser.Messages);
    }

    [Fact]
    public void StreamableParserFixture()
    {
        var parser = new StreamableParser(Role.Assistant);
        foreach (int token in Special(Fixture.HarmonyData("test_streamable_parser.txt"))) parser.Process(token);
        Assert.Equal(3, parser.Messages.Count);
        Assert.Equal(Message.FromAuthor(new Author(Role.Tool, "browser.search"), "{\"result\": \"https://openai.com/\"}").WithRecipient("assistant").WithChannel("commentary"), parser.Messages[2]);
        Assert.Equal("browser.search", parser.Messages[1].Recipient);
        Assert.Equal("code", parser.Messages[1].ContentType);
    }

    [Fact]
    public void ToolResponseParsing()
    {
        string text = Fixture.HarmonyData("test_tool_response_parsing.txt");
        var tokens = Special(text);
        var messages = StreamableParser.ParseMessagesFromCompletionTokens(tokens, null);
        Assert.Equal(text, Tok.DecodeUtf8(tokens));
        Assert.Equal(
            [Message.FromAuthor(new Author(Role.Tool, "browser.search"), "{\"result\": \"https://openai.com/\"}").WithChannel("commentary").WithRecipient("assistant")],
            messages);
    }

    [Fact]
    public void MissingMessageTokenRequiresNonStrictMode()
    {
        var tokens = Special("<|channel|>commentary Hello<|end|>");
        var strict = Assert.Throws<HarmonyParseException>(() => StreamableParser.ParseMessagesFromCompletionTokens(tokens, Role.Assistant));
        Assert.Equal("Unexpected EOS while waiting for message header to complete", strict.Reason);
        Assert.Equal(tokens.Count, strict.Position);
        Assert.Equal([Msg(Role.Assistant, "Hello").WithChannel("commentary")], StreamableParser.ParseMessagesFromCompletionTokens(tokens, Role.Assistant, strict: false));
    }

    public static TheoryData<string, Message[]> MissingMessageTokenCases => new()
    {
        {
            "I must refuse<|end|><|start|>assistant<|channel|>analysis<|message|>We must refuse<|end|><|start|>assistant<|channel|>final<|message|>I'm sorry, but I can't help with that.<|return|>",
            [
                Msg(Role.Assistant, "I must refuse"),
                Msg(Role.Assistant, "We must refuse").WithChannel("analysis"),
                Msg(Role.Assistant, "I'm sorry, but I can't help with that.").WithChannel("final"),
            ]
        },
        {
            "<|channel|>analysis I must refuse<|end|><|start|>assistant<|channel|>analysis<|message|>We must refuse<|end|><|start|>assistant<|channel|>final<|message|>I'm sorry, but I can't help with that.<|return|>",
            [
                Msg(Role.Assistant, "I must refuse").WithChannel("analysis"),
                Msg(Role.Assistant, "We must refuse").WithChannel("analysis"),
                Msg(Role.Assistant, "I'm sorry, but I can't help with that.").WithChannel("final"),
            ]
        },
        {
            "... Let's use the tool.<|end|><|start|>assistant to=functions.get_weather<|channel|>commentary json<|message|>{\"location\": \"Tokyo\"}<|call|>",
            [
                Msg(Role.Assistant, "... Let's use the tool."),
                Msg(Role.Assistant, "{\"location\": \"Tokyo\"}").WithChannel("commentary").WithRecipient("functions.get_weather").WithContentType("json"),
            ]
        },
    };

    [Theory]
    [MemberData(nameof(MissingMessageTokenCases))]
    public void MissingMessageToken(string text, Message[] expected)
    {
        var tokens = Special(text);
        var strict = new StreamableParser(Role.Assistant, strict: true);
        var error = Assert.Throws<HarmonyParseException>(() => { foreach (int t in tokens) strict.Process(t); });
        Assert.StartsWith("unexpected tokens remaining in message header", error.Reason);

        var lenient = new StreamableParser(Role.Assistant, strict: false);
        foreach (int t in tokens) lenient.Process(t);
        Assert.Equal(expected, lenient.Messages);
    }

    [Fact]
    public void InvalidUtf8Decoding()
    {
        Assert.Throws<ArgumentException>(() => Tok.DecodeUtf8([132990, 9552]));
        Assert.Contains("Chicken", Tok.Decode([132990, 9552]));
        Assert.Throws<ArgumentException>(() => Tok.DecodeUtf8([9552, 9552]));

        var tokens = Special("<|start|>assistant<|message|>").Concat([9552, 9552]).Concat(Special("worked<|end|>"));
        var parser = new StreamableParser(null);
        foreach (int t in tokens) parser.Process(t);
        Assert.Equal([Msg(Role.Assistant, " \uFFFD \uFFFDworked")], parser.Messages);
    }

    [Theory]
    [InlineData("XY", " \uFFFDXY")]
    [InlineData(" interesting", " \uFFFD interesting")]
    public void InvalidUtf8SplitAcrossTokens(string valid, string expected)
    {
        var validTokens = Tok.EncodeOrdinary(valid);
        Assert.Throws<ArgumentException>(() => Tok.DecodeUtf8(validTokens.Prepend(9552)));
        var tokens = Special("<|start|>assistant<|message|>").Append(9552).Concat(validTokens).Concat(Special("<|end|>"));
        var parser = new StreamableParser(null);
        foreach (int t in tokens) parser.Process(t);
        Assert.Equal([Msg(Role.Assistant, expected)], parser.Messages);
    }

    [Fact]
    public void InvalidUtf8MultiByteTokenNoEosMarker()
    {
        var tokens = Special("<|start|>assistant<|message|>").Append(9552).Concat(Tok.EncodeOrdinary(" interesting")).Concat(Tok.EncodeOrdinary(" story"));
        var parser = new StreamableParser(null);
        var deltas = new List<string>();
        foreach (int t in tokens)
        {
            parser.Process(t);
            if (parser.LastContentDelta is { } d) deltas.Add(d);
        }
        Assert.Equal(" \uFFFD interesting story", parser.CurrentContent);
        Assert.Equal(" \uFFFD interesting story", string.Concat(deltas));
        parser.Process(Tok.EncodeOrdinary("Y")[0]);
        Assert.Equal("Y", parser.LastContentDelta);
        Assert.Equal(" \uFFFD interesting storyY", parser.CurrentContent);
    }

    [Fact]
    public void TrickyUtf8Decoding()
    {
        const string text = "Hello Müller, Γειά σου, Привет, שלום, مرحبا, नमस्ते, こんにちは, 안녕하세요, 你好. Normalized (naïve) vs. decomposed (naïve) characters. Some emojis: 😊👋🏾👨‍👩‍👧‍👦🇺🇸.";
        var tokens = Special("<|start|>assistant<|message|>").Concat(Tok.EncodeOrdinary(text)).Concat(Special("<|end|>"));
        var parser = new StreamableParser(null);
        var deltas = new List<string>();
        foreach (int t in tokens)
        {
            parser.Process(t);
            if (parser.LastContentDelta is { } d) deltas.Add(d);
        }
        Assert.Equal([Msg(Role.Assistant, text)], parser.Messages);
        Assert.Equal(text, string.Concat(deltas));
    }

    [Fact]
    public void DoesNotLeakBytesBetweenMessages()
    {
        var tokens = Special("<|start|>assistant<|message|>").Concat([9552, 9552]).Concat(Special("<|end|><|start|>assistant<|message|>Hi<|end|>"));
        var parser = new StreamableParser(null);
        foreach (int t in tokens) parser.Process(t);
        Assert.Equal(2, parser.Messages.Count);
        Assert.Equal(Msg(Role.Assistant, "Hi"), parser.Messages[1]);
    }

    [Fact]
    public void FlushesPartialBytesOnEos()
    {
        var parser = new StreamableParser(null);
        foreach (int t in Special("<|start|>assistant<|message|>").Append(9552).Concat(Special("Hi"))) parser.Process(t);
        parser.ProcessEos();
        Assert.Equal([Msg(Role.Assistant, " \uFFFDHi")], parser.Messages);
        Assert.Null(parser.LastContentDelta);
        Assert.Equal("", parser.CurrentContent);
    }

    [Fact]
    public void WaitsForMultiTokenUtf8Sequence()
    {
        var parser = new StreamableParser(null);
        foreach (int t in Special("<|start|>assistant<|message|>")) parser.Process(t);
        var emoji = Tok.EncodeOrdinary("💖");
        Assert.True(emoji.Count >= 2);
        parser.Process(emoji[0]);
        Assert.Null(parser.LastContentDelta);
        Assert.Equal("", parser.CurrentContent);
        parser.Process(emoji[1]);
        Assert.Equal("💖", parser.LastContentDelta);
        Assert.Equal("💖", parser.CurrentContent);
        foreach (int t in Special("<|end|>")) parser.Process(t);
        Assert.Equal([Msg(Role.Assistant, "💖")], parser.Messages);
    }

    [Theory]
    [InlineData(int.MaxValue)]
    [InlineData(-1)]
    [InlineData(201089)]
    public void InvalidContentTokenBecomesReplacementAtEos(int unknown)
    {
        var parser = new StreamableParser(null);
        foreach (int t in Special("<|start|>assistant<|channel|>analysis<|message|>Practice invalid token handling.")) parser.Process(t);
        parser.Process(unknown);
        parser.ProcessEos();
        Assert.Equal([Msg(Role.Assistant, "Practice invalid token handling.\uFFFD").WithChannel("analysis")], parser.Messages);
    }
}
