using System.Text.Json;
using GptOss.Cli.Server;
using GptOss.Constraints;
using GptOss.SemanticKernel;

namespace GptOss.Cli.Tests;

/// <summary>A chat completions body's <c>response_format</c>, <c>tool_choice</c>, <c>strict</c> and <c>max_reasoning_tokens</c> → the answer constraint.</summary>
public sealed class ChatCompletionConstraintTests
{
    private const string Tools =
        """[{"type":"function","function":{"name":"get_weather","strict":true,"parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}},""" +
        """{"type":"function","function":{"name":"get_time"}}]""";

    private static AnswerConstraint? Constraint(string fields)
    {
        using var body = JsonDocument.Parse($$"""{"messages":[{"role":"user","content":"hi"}],{{fields}}}""");
        return ChatOptionsConstraint.From(ChatCompletionRequest.Read(body.RootElement).Options);
    }

    [Fact]
    public void A_json_schema_response_format_is_the_answer_format()
    {
        var constraint = Constraint("""
            "response_format":{"type":"json_schema","json_schema":{"name":"city","strict":true,"schema":{"type":"object","properties":{"city":{"type":"string"}}}}}
            """);

        Assert.Equal("object", constraint!.Format!.Schema!.Value.GetProperty("type").GetString());
        Assert.Null(constraint.RequiredCall);
    }

    [Fact]
    public void Json_object_is_any_json_object_and_text_is_free()
    {
        Assert.Same(AnswerFormat.AnyJsonObject, Constraint("\"response_format\":{\"type\":\"json_object\"}")!.Format);
        Assert.Null(Constraint("\"response_format\":{\"type\":\"text\"}"));
    }

    [Fact]
    public void Tool_choice_required_requires_one_of_the_tools_and_a_named_function_that_one()
    {
        var any = Constraint($"\"tools\":{Tools},\"tool_choice\":\"required\"");
        var named = Constraint($"\"tools\":{Tools},\"tool_choice\":{{\"type\":\"function\",\"function\":{{\"name\":\"get_time\"}}}}");

        Assert.Equal(["get_weather", "get_time"], any!.RequiredCall!.Select(f => f.Name));
        Assert.Equal("get_time", Assert.Single(named!.RequiredCall!).Name);
    }

    [Fact]
    public void A_strict_function_has_its_arguments_constrained_and_max_reasoning_tokens_is_kept()
    {
        var constraint = Constraint($"\"tools\":{Tools},\"max_reasoning_tokens\":300");

        var strict = Assert.Single(constraint!.StrictFunctions);
        Assert.Equal("get_weather", strict.Name);
        Assert.Equal("string", strict.Parameters.GetProperty("properties").GetProperty("city").GetProperty("type").GetString());
        Assert.Equal(300, constraint.MaxReasoningTokens);
        Assert.Null(constraint.RequiredCall);
    }

    [Theory]
    [InlineData("\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"get_date\"}}", "tool_choice", "'get_date'")]
    [InlineData("\"tool_choice\":\"sometimes\"", "tool_choice", "required")]
    [InlineData("\"response_format\":{\"type\":\"yaml\"}", "response_format", "json_schema")]
    [InlineData("\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"schema\":{}}}", "response_format.json_schema.name", "name")]
    [InlineData("\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"a\",\"schema\":[]}}", "response_format.json_schema.schema", "schema")]
    [InlineData("\"max_reasoning_tokens\":-5", "max_reasoning_tokens", "positive")]
    public void Bad_constraint_fields_are_refused_naming_the_field(string fields, string param, string mentioned)
    {
        var e = Assert.Throws<OpenAiRequestException>(() => Constraint($"\"tools\":{Tools},{fields}"));

        Assert.Equal(param, e.Param);
        Assert.Contains(mentioned, e.Message);
    }
}
