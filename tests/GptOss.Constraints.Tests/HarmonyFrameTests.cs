using System.Text.Json;
using System.Text.RegularExpressions;
using GptOss.Harmony;

namespace GptOss.Constraints.Tests;

/// <summary>The frame around a constrained answer: free analysis, then the forced final answer or function call.</summary>
public sealed class HarmonyFrameTests
{
    private const string WeatherParameters =
        """{"type":"object","properties":{"city":{"type":"string","maxLength":20},"unit":{"enum":["c","f"]}},"required":["city","unit"],"additionalProperties":false}""";
    private const string TimeParameters = """{"type":"object","properties":{"zone":{"type":"string","pattern":"^[A-Z][a-z]+/[A-Z][a-z]+$"}},"required":["zone"]}""";

    private static readonly HarmonyTokenizer Tokenizer = HarmonyTokenizer.Shared;

    private static FunctionSignature Function(string name, string parameters) => new(name, JsonDocument.Parse(parameters).RootElement);

    private static ITokenConstraint Begin(AnswerConstraint constraint) =>
        CompiledAnswerConstraint.Compile(constraint).Begin(maxReasoningTokens: constraint.MaxReasoningTokens);

    /// <summary>Feeds harmony text (special tokens spelled out), asserting each token was allowed; returns the mask after it.</summary>
    private static TokenMask Feed(ITokenConstraint constraint, string text, int remaining = 1000)
    {
        foreach (int token in Tokenizer.Encode(text, allowSpecial: true))
        {
            var mask = constraint.Allowed(remaining--);
            Assert.True(mask is null || mask.IsAllowed(token), $"token {token} ('{Tokenizer.Decode([token])}') was not allowed in {text}");
            constraint.Accept(token);
        }
        return constraint.Allowed(remaining)!;
    }

    private static bool Allows(TokenMask mask, string text) => Tokenizer.Encode(text, allowSpecial: true) is [var token] && mask.IsAllowed(token);

    [Fact]
    public void TheAnalysisIsFreeAnyOrdinaryTokenOrItsEnd()
    {
        var mask = Feed(Begin(new AnswerConstraint { Format = AnswerFormat.AnyJsonObject }), "<|channel|>analysis<|message|>");

        Assert.Equal(HarmonyTokens.FirstSpecial + 1, mask.Count);
        Assert.True(mask.IsAllowed(HarmonyTokens.End));
        Assert.False(mask.IsAllowed(HarmonyTokens.Return));
        Assert.True(Allows(mask, " not JSON at all"[..4]));
    }

    [Fact]
    public void AfterTheAnalysisOnlyTheFinalFrameAndThenJsonMayFollow()
    {
        var constraint = Begin(new AnswerConstraint { Format = new AnswerFormat(JsonDocument.Parse(WeatherParameters).RootElement) });
        var mask = Feed(constraint, "<|channel|>analysis<|message|>Think.<|end|>");
        Assert.Equal([HarmonyTokens.Start], Members(mask));

        mask = Feed(constraint, "<|start|>assistant<|channel|>");
        Assert.False(Allows(mask, "analysis"));
        Assert.False(Allows(mask, "commentary"));
        Assert.True(Allows(mask, "final"));

        mask = Feed(constraint, "final<|message|>");
        Assert.True(Allows(mask, "{\""));
        Assert.False(Allows(mask, "Sure"));
        Assert.False(mask.IsAllowed(HarmonyTokens.Return));

        mask = Feed(constraint, "{\"city\":\"Paris\",\"unit\":\"c\"}");
        Assert.Equal([HarmonyTokens.Return], Members(mask));
    }

    [Fact]
    public void AModelMayGoStraightToTheFinalChannel()
    {
        var constraint = Begin(new AnswerConstraint { Format = AnswerFormat.AnyJsonObject });
        var mask = Feed(constraint, "<|channel|>final<|message|>{\"a\":[1,true,null]}");
        Assert.True(mask.IsAllowed(HarmonyTokens.Return));
    }

    [Fact]
    public void ARequiredCallTakesTheFunctionFrameWithOneOfTheOfferedNamesAndValidArguments()
    {
        var functions = new[] { Function("get_weather", WeatherParameters), Function("get_time", TimeParameters) };
        var random = new Random(5);
        var seen = new HashSet<string>();
        var frame = new Regex(@"^<\|channel\|>(analysis<\|message\|>.*<\|end\|><\|start\|>assistant<\|channel\|>)?commentary to=functions\.(get_weather|get_time) <\|constrain\|>json<\|message\|>", RegexOptions.Singleline);
        for (int run = 0; run < 40; run++)
        {
            var tokens = UniformSampler.Run(Begin(new AnswerConstraint { RequiredCall = functions }), 300, random);
            string text = Tokenizer.Decode(tokens);
            var match = frame.Match(text);
            Assert.True(match.Success, text);
            Assert.Equal(HarmonyTokens.Call, tokens[^1]);
            string name = match.Groups[2].Value;
            seen.Add(name);
            AnswerText.AssertValid(name == "get_weather" ? WeatherParameters : TimeParameters, AnswerText.Body(tokens), text);
        }
        Assert.Equal(2, seen.Count);
    }

    [Fact]
    public void ANamedCallAllowsOnlyThatName()
    {
        var constraint = Begin(new AnswerConstraint { RequiredCall = [Function("get_time", TimeParameters)] });
        var mask = Feed(constraint, "<|channel|>commentary to=functions.get_");
        Assert.True(Allows(mask, "time"));
        Assert.False(Allows(mask, "weather"));
        mask = Feed(constraint, "time <|constrain|>json<|message|>");
        Assert.True(Allows(mask, "{\""));
        Assert.False(Allows(mask, "{}"));   // zone is required
    }

    [Fact]
    public void WithCallsAllowedAFormattedAnswerMayGiveWayToACallOfAnOfferedTool()
    {
        var schema = JsonDocument.Parse(WeatherParameters).RootElement;
        var formatOnly = Feed(Begin(new AnswerConstraint { Format = new AnswerFormat(schema) }), "<|channel|>analysis<|message|>Think.<|end|><|start|>assistant<|channel|>");
        Assert.False(Allows(formatOnly, "commentary"));

        var callsAllowed = new AnswerConstraint { Format = new AnswerFormat(schema), CallsAllowed = true };
        var mask = Feed(Begin(callsAllowed), "<|channel|>analysis<|message|>Think.<|end|><|start|>assistant<|channel|>commentary to=functions.lookup <|constrain|>json<|message|>{\"q\": 1}");
        Assert.True(mask.IsAllowed(HarmonyTokens.Call));
        // The answer itself is still the schema's JSON.
        mask = Feed(Begin(callsAllowed), "<|channel|>final<|message|>");
        Assert.True(Allows(mask, "{\""));
        Assert.False(Allows(mask, "Sure"));
    }

    [Fact]
    public void AStrictFunctionsArgumentsAreConstrainedWhileOtherRecipientsAndTheFinalAnswerStayFree()
    {
        var strict = new AnswerConstraint { StrictFunctions = [Function("get_weather", WeatherParameters)] };

        var mask = Feed(Begin(strict), "<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>");
        Assert.False(Allows(mask, "Paris"));
        Assert.True(Allows(mask, "{\""));

        mask = Feed(Begin(strict), "<|channel|>commentary to=functions.get_weather");
        Assert.False(mask.IsAllowed(HarmonyTokens.Message));   // the strict call takes the constrained form
        Assert.True(Allows(mask, "_"));                         // another function whose name merely starts the same

        mask = Feed(Begin(strict), "<|channel|>commentary to=functions.lookup<|message|>");
        Assert.True(Allows(mask, "Paris"));
        Assert.True(Feed(Begin(strict), "<|channel|>commentary to=browser.search json<|message|>{\"q\": 1}").IsAllowed(HarmonyTokens.Call));
        Assert.True(Feed(Begin(strict), "<|channel|>final<|message|>Free prose.").IsAllowed(HarmonyTokens.Return));
    }

    [Fact]
    public void StrictArgumentsValidateWheneverTheStrictFunctionIsCalled()
    {
        var strict = new AnswerConstraint { StrictFunctions = [Function("get_weather", WeatherParameters)] };
        const string header = "<|channel|>analysis<|message|>Call it.<|end|><|start|>assistant<|channel|>commentary to=functions.get_weather ";
        var random = new Random(8);
        for (int run = 0; run < 20; run++)
        {
            var constraint = Begin(strict);
            Feed(constraint, header);
            var tokens = Tokenizer.Encode(header, allowSpecial: true).Concat(UniformSampler.Run(constraint, 200, random)).ToList();
            string text = Tokenizer.Decode(tokens);
            Assert.Contains("to=functions.get_weather <|constrain|>json<|message|>", text);
            AnswerText.AssertValid(WeatherParameters, AnswerText.Body(tokens), text);
        }
    }

    [Fact]
    public void TheAnalysisStopsAtTheReasoningBudget()
    {
        var random = new Random(3);
        var tokens = UniformSampler.Run(Begin(new AnswerConstraint { Format = AnswerFormat.AnyJsonObject, MaxReasoningTokens = 12 }), 500, random);
        int message = tokens.IndexOf(HarmonyTokens.Message), end = tokens.IndexOf(HarmonyTokens.End);
        if (end >= 0) Assert.True(end - message - 1 <= 12, Tokenizer.Decode(tokens));
        Assert.Equal(HarmonyTokens.Return, tokens[^1]);
    }

    [Theory]
    [InlineData(1000)]
    [InlineData(120)]
    [InlineData(45)]
    public void AnAnswerAlwaysCompletesWithinMaxTokensEvenWhenTheModelNeverEndsItsAnalysis(int maxTokens)
    {
        var constraint = Begin(new AnswerConstraint { Format = new AnswerFormat(JsonDocument.Parse(WeatherParameters).RootElement) });
        // A model that wants to think forever: it takes an ordinary token whenever one is allowed.
        var tokens = new List<int>();
        while (tokens.Count < maxTokens && tokens is not [.., HarmonyTokens.Return])
        {
            var mask = constraint.Allowed(maxTokens - tokens.Count)!;
            int token = mask.IsAllowed(1000) ? 1000 : Members(mask).Last(t => t < HarmonyTokens.FirstSpecial || t is HarmonyTokens.End or HarmonyTokens.Return or HarmonyTokens.Start or HarmonyTokens.Channel or HarmonyTokens.Message);
            constraint.Accept(token);
            tokens.Add(token);
        }
        Assert.Equal(HarmonyTokens.Return, tokens[^1]);
        AnswerText.AssertValid(WeatherParameters, AnswerText.Body(tokens), Tokenizer.Decode(tokens));
    }

    [Fact]
    public void TooFewTokensForAnyAnswerIsRefusedBeforeTheFirstToken()
    {
        var constraint = Begin(new AnswerConstraint { Format = new AnswerFormat(JsonDocument.Parse(WeatherParameters).RootElement) });
        var error = Assert.Throws<InvalidOperationException>(() => constraint.Allowed(5));
        Assert.StartsWith("max_tokens 5 is too small for the constrained answer", error.Message);
    }

    private static List<int> Members(TokenMask mask) => Enumerable.Range(0, mask.VocabularySize).Where(mask.IsAllowed).ToList();
}
