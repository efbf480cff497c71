using System.Text.Json;
using GptOss.Constraints;
using GptOss.Generation;
using GptOss.Testing;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;

namespace GptOss.SemanticKernel.Tests;

/// <summary>SK execution settings (<c>ResponseFormat</c>, <c>FunctionChoiceBehavior.Required()</c>) → the answer constraint.</summary>
public sealed class StructuredOutputSettingsTests
{
    public sealed record Movie(string Title, int Year, List<string> Cast);

    private static AnswerConstraint? Constraint(PromptExecutionSettings settings, Kernel? kernel = null) =>
        ChatOptionsConstraint.From(GptOssChatCompletionService.ToChatOptions(settings, kernel));

    [Fact]
    public void A_type_as_response_format_is_its_json_schema_with_every_property_required_and_no_others()
    {
        var schema = Constraint(new GptOssPromptExecutionSettings { ResponseFormat = typeof(Movie) })!.Format!.Schema!.Value;

        Assert.Equal("object", schema.GetProperty("type").GetString());
        Assert.Equal(["Title", "Year", "Cast"], schema.GetProperty("properties").EnumerateObject().Select(p => p.Name));
        Assert.Equal(["Title", "Year", "Cast"], schema.GetProperty("required").EnumerateArray().Select(p => p.GetString()));
        Assert.False(schema.GetProperty("additionalProperties").GetBoolean());
        Assert.Equal("array", schema.GetProperty("properties").GetProperty("Cast").GetProperty("type").GetString());
        // An int member keeps to Int32, or a valid answer could still fail to deserialize.
        Assert.Equal(int.MaxValue, schema.GetProperty("properties").GetProperty("Year").GetProperty("maximum").GetInt64());
        Assert.Equal(int.MinValue, schema.GetProperty("properties").GetProperty("Year").GetProperty("minimum").GetInt64());
    }

    [Fact]
    public async Task A_type_as_response_format_names_the_schema_in_the_prompt_and_the_answer_deserializes_into_it()
    {
        var generator = ScriptedTokenGenerator.FromHarmony(HarmonyScripts.Final("Answer as JSON.", """{"Title":"Dune","Year":2021,"Cast":["Zendaya"]}"""));
        var kernel = Scripts.Kernel(generator);

        var answer = await kernel.GetRequiredService<IChatCompletionService>().GetChatMessageContentAsync(
            new ChatHistory("Name a film."), new GptOssPromptExecutionSettings { ResponseFormat = typeof(Movie) }, kernel);

        var movie = JsonSerializer.Deserialize<Movie>(answer.Content!)!;
        Assert.Equal(("Dune", 2021, "Zendaya"), (movie.Title, movie.Year, Assert.Single(movie.Cast)));
        Assert.Contains("# Response Formats\n\n## Movie\n\n{\"type\":\"object\",\"properties\":{\"Title\":", generator.PromptTexts[0]);
    }

    [Theory]
    [InlineData("json_object")]
    [InlineData("""{"type":"json_object"}""")]
    public void A_prompt_templates_response_format_key_is_read_from_the_extension_data(string value)
    {
        object format = value.StartsWith('{') ? JsonDocument.Parse(value).RootElement : value;
        var settings = new PromptExecutionSettings { ExtensionData = new Dictionary<string, object> { ["response_format"] = format } };

        Assert.Same(AnswerFormat.AnyJsonObject, Constraint(settings)!.Format);
    }

    [Fact]
    public void A_json_schema_response_format_object_keeps_its_schema()
    {
        var settings = new PromptExecutionSettings
        {
            ExtensionData = new Dictionary<string, object>
            {
                ["response_format"] = JsonDocument.Parse("""{"type":"json_schema","json_schema":{"name":"n","schema":{"type":"integer","maximum":9}}}""").RootElement,
            },
        };

        Assert.Equal(9, Constraint(settings)!.Format!.Schema!.Value.GetProperty("maximum").GetInt32());
    }

    [Fact]
    public void An_unknown_response_format_is_a_clear_error()
    {
        var e = Assert.Throws<ArgumentException>(() => Constraint(new GptOssPromptExecutionSettings { ResponseFormat = "xml" }));
        Assert.Contains("\"xml\"", e.Message);
    }

    [Fact]
    public void FunctionChoiceBehavior_Required_requires_a_call_of_the_kernels_functions_and_max_reasoning_tokens_is_kept()
    {
        var kernel = Scripts.Kernel(ScriptedTokenGenerator.FromHarmony(), new WeatherPlugin());

        var constraint = Constraint(
            new GptOssPromptExecutionSettings { FunctionChoiceBehavior = FunctionChoiceBehavior.Required(), MaxReasoningTokens = 64 }, kernel)!;

        Assert.Equal("Weather_get_weather", Assert.Single(constraint.RequiredCall!).Name);
        Assert.Equal(64, constraint.MaxReasoningTokens);
    }
}
