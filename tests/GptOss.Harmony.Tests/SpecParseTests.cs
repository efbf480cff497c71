using static GptOss.Harmony.Tests.H;

namespace GptOss.Harmony.Tests;

/// <summary>Parser behaviour of shared/docs/harmony-format.md §9–§11 (checked against the reference build) and the lenient recoveries.</summary>
public class SpecParseTests
{
    private static IReadOnlyList<Message> Parse(string text, Role? role = Role.Assistant, bool strict = true) =>
        StreamableParser.ParseMessagesFromCompletionTokens(Special(text), role, strict);

    private static HarmonyParseException ParseError(string text, Role? role = Role.Assistant, bool strict = true) =>
        Assert.Throws<HarmonyParseException>(() => Parse(text, role, strict));

    [Theory]
    [InlineData("<|channel|>commentary to=functions.f <|constrain|>json<|message|>{}<|call|>")]
    [InlineData(" to=functions.f<|channel|>commentary<|constrain|>json<|message|>{}<|call|>")]
    [InlineData("<|channel|>commentary to=functions.f<|constrain|>json<|message|>{}<|call|>")]
    public void HeaderVariantsParseAlike(string text)
    {
        var expected = Msg(Role.Assistant, "{}").WithChannel("commentary").WithRecipient("functions.f").WithContentType("<|constrain|>json");
        Assert.Equal([expected], Parse(text));
        Assert.Equal([expected], Parse(text, strict: false));
    }

    [Fact]
    public void StrictStopTokenInHeaderIsJustHeaderText()
    {
        var messages = Parse("<|channel|>commentary Hello<|end|><|start|>assistant<|message|>x<|end|>");
        Assert.Equal([Msg(Role.Assistant, "x").WithChannel("commentary").WithRecipient("Hello<|end|><|start|>assistant")], messages);
    }

    public static TheoryData<string, Role?, string> HeaderErrors => new()
    {
        { "<|channel|><|message|>x<|end|>", Role.Assistant, "channel marker present but no channel value found in header" },
        { " to=a extra json<|message|>x<|end|>", Role.Assistant, "unexpected tokens remaining in message header: Some(\"to=a\")" },
        { "<|start|><|message|>x<|end|>", null, "message header did not contain a role" },
        { "<|start|>user:alice<|message|>x<|end|>", null, "Unknown role: user:alice" },
        { "<|start|>functions.lookup_weather<|message|>x<|end|>", null, "Unknown role: functions.lookup_weather" },
        { "<|channel|>final<|message|>x<|return|>trailing", Role.Assistant, "Unexpected token 376 while expecting start token 200006" },
    };

    [Theory]
    [MemberData(nameof(HeaderErrors))]
    public void MalformedHeadersFailInBothModes(string text, Role? role, string reason)
    {
        Assert.Equal(reason, ParseError(text, role).Reason.Replace(Tok.EncodeOrdinary("trailing")[0].ToString(), "376"));
        Assert.Equal(reason, ParseError(text, role, strict: false).Reason.Replace(Tok.EncodeOrdinary("trailing")[0].ToString(), "376"));
    }

    [Fact]
    public void ErrorPositionIsTheTokenIndex()
    {
        var tokens = Special("<|channel|>final<|message|>x<|return|>");
        var parser = new StreamableParser(Role.Assistant);
        foreach (int t in tokens) parser.Process(t);
        var e = Assert.Throws<HarmonyParseException>(() => parser.Process(42));
        Assert.Equal(tokens.Count, e.Position);
        Assert.Equal("Unexpected token 42 while expecting start token 200006", e.Reason);
    }

    [Fact]
    public void RoleResolutionWithoutRememberedRole()
    {
        Assert.Equal(new Author(Role.Tool, "tool"), Parse("<|start|>tool<|message|>x<|end|>", null)[0].Author);
        var named = Parse("<|start|>user:alice to=bob<|message|>x<|end|>", null)[0];
        Assert.Equal(new Author(Role.Tool, "user:alice"), named.Author);
        Assert.Equal("bob", named.Recipient);
        var lone = Parse("<|start|>to=X<|message|>x<|end|>", null)[0];
        Assert.Equal(new Author(Role.Tool, "to=X"), lone.Author);
        Assert.Null(lone.Recipient);
        // A lone bare word after the role is a recipient, not a content type.
        Assert.Equal("python", Parse("<|start|>assistant python<|message|>x<|end|>", null)[0].Recipient);
        var system = Parse("<|start|>system<|message|>hello<|end|>", null)[0];
        Assert.Equal(Msg(Role.System, "hello"), system);
    }

    [Fact]
    public void SecondMalformedMessageIsDroppedInLenientMode()
    {
        const string text = "<|channel|>final<|message|>ok<|end|><|start|>assistant I must refuse<|end|><|start|>assistant<|channel|>final<|message|>done<|return|>";
        Assert.StartsWith("unexpected tokens remaining", ParseError(text).Reason);
        Assert.Equal([Msg(Role.Assistant, "ok").WithChannel("final"), Msg(Role.Assistant, "done").WithChannel("final")], Parse(text, strict: false));
    }

    [Fact]
    public void ContentKeepsStructuralTokensAsText()
    {
        Assert.Equal([Msg(Role.Assistant, "abc<|start|>assistant<|channel|>x<|message|>y<|reserved_200100|>").WithChannel("final")],
            Parse("<|channel|>final<|message|>abc<|start|>assistant<|channel|>x<|message|>y<|reserved_200100|><|end|>"));
    }

    [Fact]
    public void UnknownIdSwallowsRestOfMessage()
    {
        var tokens = Special("<|channel|>final<|message|>ab").Append(500000).Concat(Special("cd<|end|><|start|>assistant<|channel|>final<|message|>next<|return|>"));
        var messages = StreamableParser.ParseMessagesFromCompletionTokens(tokens, Role.Assistant);
        Assert.Equal("ab\uFFFD", messages[0].Text);
        Assert.Equal("next", messages[1].Text);
    }

    [Fact]
    public void ReplacementForUnknownIdComesBeforePendingBytes()
    {
        var tokens = Special("<|channel|>final<|message|>a").Append(9552).Append(-7).Append(9552);
        var messages = StreamableParser.ParseMessagesFromCompletionTokens(tokens, Role.Assistant);
        // "a" and the space of 9552 are emitted; F0 9F waits; the unknown id's U+FFFD precedes the flushed F0 9F.
        Assert.Equal("a \uFFFD\uFFFD", messages[0].Text);
    }

    [Fact]
    public void PerTokenTrace()
    {
        var tokens = Special("<|channel|>commentary to=functions.f <|constrain|>json<|message|>{\"a\":1}<|call|>");
        var parser = new StreamableParser(Role.Assistant);
        Assert.Equal(StreamState.Header, parser.State);
        Assert.Equal(Role.Assistant, parser.CurrentRole);
        int message = tokens.IndexOf(HarmonyTokens.Message);
        for (int i = 0; i < tokens.Count; i++)
        {
            parser.Process(tokens[i]);
            if (i < message)
            {
                Assert.Equal(StreamState.Header, parser.State);
                Assert.Null(parser.CurrentChannel);
                Assert.Null(parser.CurrentRecipient);
                Assert.Equal("", parser.CurrentContent);
            }
            else if (i < tokens.Count - 1)
            {
                Assert.Equal(StreamState.Content, parser.State);
                Assert.Equal(Role.Assistant, parser.CurrentRole);
                Assert.Equal("commentary", parser.CurrentChannel);
                Assert.Equal("functions.f", parser.CurrentRecipient);
                Assert.Equal("<|constrain|>json", parser.CurrentContentType);
                Assert.Equal(i == message ? null : Tok.Decode([tokens[i]]), parser.LastContentDelta);
            }
        }
        Assert.Equal(StreamState.ExpectStart, parser.State);
        Assert.Null(parser.CurrentRole);
        Assert.Null(parser.LastContentDelta);
        Assert.Equal(tokens, parser.Tokens);
        Assert.Equal("{\"a\":1}", Assert.Single(parser.Messages).Text);
    }

    [Fact]
    public void StrictEosInsideHeaderIsAnError()
    {
        Assert.Equal("Unexpected EOS while waiting for message header to complete", ParseError("<|channel|>fin").Reason);
        Assert.Empty(Parse("", null));
        Assert.Empty(Parse("<|channel|>final<|message|>x<|return|>", Role.Assistant).Skip(1));
    }

    // ---- lenient recoveries (strict mode stays the reference) ----

    [Theory]
    [InlineData("<|channel|>final to=functions.f<|message|>{}<|call|>", "final", "functions.f", null)]
    [InlineData("<|channel|>analysis to=functions.f code<|message|>{}<|call|>", "analysis", "functions.f", "code")]
    [InlineData(" to=functions.f<|channel|>commentary json<|message|>{}<|call|>", "commentary", "functions.f", "json")]
    [InlineData("<|channel|>commentary to=functions.f<|message|>{}<|call|>", "commentary", "functions.f", null)]
    public void ToolCallsInAnyChannelOrWithoutConstrainKeepTheRecipient(string text, string channel, string recipient, string? contentType)
    {
        foreach (bool strict in new[] { true, false })
        {
            var call = Assert.Single(Parse(text, strict: strict));
            Assert.Equal(channel, call.Channel);
            Assert.Equal(recipient, call.Recipient);
            Assert.Equal(contentType, call.ContentType);
        }
    }

    [Fact]
    public void LenientRepairsConstrainFollowedBySpace()
    {
        const string text = "<|channel|>commentary to=functions.f <|constrain|> json<|message|>{}<|call|>";
        Assert.StartsWith("unexpected tokens remaining", ParseError(text).Reason);
        var call = Assert.Single(Parse(text, strict: false));
        Assert.Equal(("functions.f", "<|constrain|>json", "commentary"), (call.Recipient, call.ContentType, call.Channel));
    }

    [Fact]
    public void LenientRepairsRepeatedChannel()
    {
        const string text = "<|channel|>commentary to=functions.f<|channel|>commentary <|constrain|>json<|message|>{}<|call|>";
        var strict = Assert.Single(Parse(text));
        Assert.Equal("functions.f<|channel|>commentary", strict.Recipient);
        var lenient = Assert.Single(Parse(text, strict: false));
        Assert.Equal(("functions.f", "<|constrain|>json", "commentary"), (lenient.Recipient, lenient.ContentType, lenient.Channel));
    }

    [Fact]
    public void LenientStreamEndingWithoutEndTokenYieldsPartialMessage()
    {
        Assert.Equal([Msg(Role.Assistant, "The answer is").WithChannel("final")], Parse("<|channel|>final<|message|>The answer is"));
        Assert.Equal([Msg(Role.Assistant, "The answer is").WithChannel("final")], Parse("<|channel|>final<|message|>The answer is", strict: false));
        Assert.Equal([Msg(Role.Assistant, "I cannot").WithChannel("analysis")], Parse("<|channel|>analysis I cannot", strict: false));
        Assert.Empty(Parse("", Role.Assistant, strict: false));
        Assert.Equal([Msg(Role.Assistant, "x").WithChannel("final")], Parse("<|channel|>final<|message|>x<|end|><|start|>assistant<|chan", strict: false));
    }

    [Fact]
    public void HeaderLengthIsBounded()
    {
        foreach (bool strict in new[] { true, false })
        {
            var parser = new StreamableParser(Role.Assistant, strict);
            var e = Assert.Throws<HarmonyParseException>(() => { for (int i = 0; i < 1_000_000; i++) parser.Process(1000); });
            Assert.Equal(StreamableParser.MaxHeaderTokens, e.Position);
        }
    }
}
