using System.Text.Json;
using GptOss.Constraints;
using Microsoft.Extensions.AI;

namespace GptOss.SemanticKernel.Tests;

/// <summary>M.E.AI options → the pipeline's answer constraint, and the harmony request that carries it.</summary>
public sealed class ChatOptionsConstraintTests
{
    private static readonly JsonElement CitySchema =
        JsonDocument.Parse("""{"type":"object","properties":{"city":{"type":"string"}},"required":["city"],"additionalProperties":false}""").RootElement;

    private static readonly AIFunctionDeclaration GetWeather = AIFunctionFactory.CreateDeclaration("get_weather", "Weather.", CitySchema);
    private static readonly AIFunctionDeclaration GetTime = AIFunctionFactory.CreateDeclaration(
        "get_time", "Time.", JsonDocument.Parse("""{"type":"object","properties":{}}""").RootElement);

    private static HarmonyChatRequestView Request(ChatOptions options) =>
        new(HarmonyConversation.ToRequest([new ChatMessage(ChatRole.User, "Hi")], options, new GptOssOptions { IncludeCurrentDate = false }, DateTimeOffset.UnixEpoch));

    private sealed record HarmonyChatRequestView(GptOss.Generation.HarmonyChatRequest Request)
    {
        public AnswerConstraint? Constraint => Request.Constraint;
        public string Developer => Request.Messages.Single(m => m.Author.Role == Harmony.Role.Developer).Content.OfType<Harmony.DeveloperContent>().Single().Instructions ?? "";
    }

    [Fact]
    public void Plain_options_leave_the_answer_free()
    {
        Assert.Null(Request(new ChatOptions { Tools = [GetWeather] }).Constraint);
        Assert.Null(Request(new ChatOptions { ResponseFormat = ChatResponseFormat.Text }).Constraint);
    }

    [Fact]
    public void A_json_schema_response_format_constrains_the_answer_to_that_schema_and_is_named_in_the_developer_message()
    {
        var request = Request(new ChatOptions { ResponseFormat = ChatResponseFormat.ForJsonSchema(CitySchema, "city_answer", "Where it is.") });

        var schema = request.Constraint!.Format!.Schema!.Value;
        Assert.Equal(CitySchema.GetRawText(), schema.GetRawText());
        Assert.Null(request.Constraint.RequiredCall);
        Assert.Contains("# Response Formats\n\n## city_answer\n\n// Where it is.\n{\"type\":\"object\",", request.Developer);
    }

    [Fact]
    public void Offered_tools_stay_callable_beside_a_response_format_unless_tool_choice_is_none()
    {
        Assert.False(Request(new ChatOptions { ResponseFormat = ChatResponseFormat.Json }).Constraint!.CallsAllowed);
        Assert.True(Request(new ChatOptions { ResponseFormat = ChatResponseFormat.Json, Tools = [GetWeather] }).Constraint!.CallsAllowed);
        Assert.False(Request(new ChatOptions { ResponseFormat = ChatResponseFormat.Json, Tools = [GetWeather], ToolMode = ChatToolMode.None })
            .Constraint!.CallsAllowed);
    }

    [Fact]
    public void Json_without_a_schema_is_any_json_object()
    {
        var request = Request(new ChatOptions { ResponseFormat = ChatResponseFormat.Json });

        Assert.Same(AnswerFormat.AnyJsonObject, request.Constraint!.Format);
        Assert.Contains("## answer\n\nA single JSON object", request.Developer);
    }

    [Fact]
    public void RequireAny_requires_a_call_of_one_of_the_offered_functions_with_their_schemas()
    {
        var constraint = Request(new ChatOptions { Tools = [GetWeather, GetTime], ToolMode = ChatToolMode.RequireAny }).Constraint!;

        Assert.Equal(["get_weather", "get_time"], constraint.RequiredCall!.Select(f => f.Name));
        Assert.Equal(CitySchema.GetRawText(), constraint.RequiredCall![0].Parameters.GetRawText());
        Assert.Null(constraint.Format);
    }

    [Fact]
    public void RequireSpecific_requires_that_one_function()
    {
        var constraint = Request(new ChatOptions { Tools = [GetWeather, GetTime], ToolMode = ChatToolMode.RequireSpecific("get_time") }).Constraint!;

        Assert.Equal("get_time", Assert.Single(constraint.RequiredCall!).Name);
    }

    [Fact]
    public void A_required_call_without_the_function_offered_is_refused_naming_it()
    {
        var unknown = Assert.Throws<ArgumentException>(() =>
            Request(new ChatOptions { Tools = [GetWeather], ToolMode = ChatToolMode.RequireSpecific("get_time") }));
        Assert.Contains("'get_time'", unknown.Message);
        Assert.Contains("get_weather", unknown.Message);

        var none = Assert.Throws<ArgumentException>(() => Request(new ChatOptions { ToolMode = ChatToolMode.RequireAny }));
        Assert.Contains("no function is offered", none.Message);
    }

    [Fact]
    public void Strict_functions_are_marked_per_function_or_for_all_with_the_function_winning()
    {
        var strictWeather = new StrictDeclaration(GetWeather, true);
        var looseTime = new StrictDeclaration(GetTime, false);

        var perFunction = Request(new ChatOptions { Tools = [strictWeather, GetTime] }).Constraint!;
        var forAll = Request(new ChatOptions { Tools = [GetWeather, looseTime], AdditionalProperties = new() { ["strict"] = true } }).Constraint!;

        Assert.Equal(["get_weather"], perFunction.StrictFunctions.Select(f => f.Name));
        Assert.Equal(["get_weather"], forAll.StrictFunctions.Select(f => f.Name));
        Assert.Null(perFunction.RequiredCall);
        Assert.Null(perFunction.Format);
    }

    [Fact]
    public void Max_reasoning_tokens_is_read_from_the_additional_properties()
    {
        var options = new ChatOptions { ResponseFormat = ChatResponseFormat.Json, AdditionalProperties = new() { ["max_reasoning_tokens"] = 200 } };

        Assert.Equal(200, Request(options).Constraint!.MaxReasoningTokens);
        Assert.Throws<ArgumentException>(() => Request(new ChatOptions { AdditionalProperties = new() { ["max_reasoning_tokens"] = "many" } }));
    }

    private sealed class StrictDeclaration(AIFunctionDeclaration inner, bool strict) : AIFunctionDeclaration
    {
        public override string Name => inner.Name;
        public override JsonElement JsonSchema => inner.JsonSchema;
        public override IReadOnlyDictionary<string, object?> AdditionalProperties { get; } = new Dictionary<string, object?> { ["strict"] = strict };
    }
}
