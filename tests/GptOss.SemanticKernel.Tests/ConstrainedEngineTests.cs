using System.ComponentModel;
using System.Text.Json;
using GptOss.Engine.Checkpoints;
using GptOss.Testing;
using Json.Schema;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;

namespace GptOss.SemanticKernel.Tests;

/// <summary>A kernel on the real engine over a tiny random checkpoint with the real vocabulary; its free output is garbage.</summary>
public sealed class RandomEngineKernel : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gptoss-sk-constrained-").FullName;

    public RandomEngineKernel()
    {
        RandomCheckpoint.Write(_dir, new RandomCheckpointOptions { Seed = 17, Vocab = 201_088 });
        var builder = Kernel.CreateBuilder().AddGptOssChatCompletion(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["GptOss:ModelDirectory"] = _dir, ["GptOss:DType"] = "f32", ["GptOss:IncludeCurrentDate"] = "false",
        }).Build());
        builder.Plugins.AddFromType<CityPlugin>("City");
        Kernel = builder.Build();
    }

    public Kernel Kernel { get; }

    public IChatCompletionService Service => Kernel.GetRequiredService<IChatCompletionService>();

    public void Dispose()
    {
        (Kernel.Services as IDisposable)?.Dispose();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}

public sealed class CityPlugin
{
    public static int Calls;

    [KernelFunction("population"), Description("Population of a city.")]
    public static int Population([Description("City name")] string city)
    {
        Interlocked.Increment(ref Calls);
        return city.Length * 1000;
    }
}

public sealed class ConstrainedEngineTests(RandomEngineKernel engine) : IClassFixture<RandomEngineKernel>
{
    private static readonly int SchemaCount = int.TryParse(Environment.GetEnvironmentVariable("GPTOSS_SCHEMA_COUNT"), out var n) ? n : 8;

    public sealed record Forecast(string City, int Celsius, bool Rain);

    [Fact]
    public async Task ResponseFormat_typeof_T_gives_an_answer_that_deserializes_into_T()
    {
        var settings = new GptOssPromptExecutionSettings { ResponseFormat = typeof(Forecast), MaxTokens = 300, MaxReasoningTokens = 16, Seed = 2 };

        var answer = await engine.Service.GetChatMessageContentAsync(new ChatHistory("Forecast?"), settings, engine.Kernel);

        var forecast = JsonSerializer.Deserialize<Forecast>(answer.Content!);
        Assert.NotNull(forecast);
        Assert.NotNull(forecast!.City);
    }

    [Fact]
    public async Task FunctionChoiceBehavior_Required_calls_a_kernel_function_then_answers()
    {
        var before = CityPlugin.Calls;
        var settings = new GptOssPromptExecutionSettings { FunctionChoiceBehavior = FunctionChoiceBehavior.Required(), MaxTokens = 200, MaxReasoningTokens = 8, Seed = 4 };
        var history = new ChatHistory("Population of Paris?");

        await engine.Service.GetChatMessageContentAsync(history, settings, engine.Kernel);

        Assert.True(CityPlugin.Calls > before, "the required call reached the kernel function");
        Assert.Contains(history, m => m.Items.OfType<Microsoft.SemanticKernel.FunctionResultContent>().Any());
    }

    [Fact]
    public async Task The_chat_clients_response_format_and_RequireAny_are_enforced()
    {
        var client = new GptOssChatClient(
            engine.Kernel.GetRequiredService<Generation.HarmonyChatPipeline>(), new GptOssOptions { IncludeCurrentDate = false });
        var schema = JsonDocument.Parse("""{"type":"object","properties":{"ok":{"type":"boolean"}},"required":["ok"]}""").RootElement;
        var tool = AIFunctionFactory.CreateDeclaration("lookup", "Looks up.", JsonDocument.Parse("""{"type":"object","properties":{"q":{"type":"string","maxLength":8}},"required":["q"]}""").RootElement);
        var budget = new AdditionalPropertiesDictionary { ["max_reasoning_tokens"] = 8 };

        var json = await client.GetResponseAsync("Ok?", new ChatOptions { ResponseFormat = ChatResponseFormat.ForJsonSchema(schema), MaxOutputTokens = 200, AdditionalProperties = budget });
        var call = await client.GetResponseAsync("Look up.", new ChatOptions { Tools = [tool], ToolMode = ChatToolMode.RequireAny, MaxOutputTokens = 200, AdditionalProperties = budget });

        AssertValid(schema.GetRawText(), json.Text);
        var function = Assert.Single(call.Messages.SelectMany(m => m.Contents).OfType<Microsoft.Extensions.AI.FunctionCallContent>());
        Assert.Equal("lookup", function.Name);
        Assert.Null(function.Exception);
        Assert.Equal(ChatFinishReason.ToolCalls, call.FinishReason);
    }

    [Fact]
    public async Task Random_schemas_through_SK_give_valid_answers()
    {
        var schemas = new RandomJsonSchemas(seed: 29);
        for (var i = 0; i < SchemaCount; i++)
        {
            var schema = schemas.Next().ToJsonString();
            var settings = new GptOssPromptExecutionSettings
            {
                ResponseFormat = ChatResponseFormat.ForJsonSchema(JsonDocument.Parse(schema).RootElement, $"s{i}"),
                MaxTokens = 1000,
                MaxReasoningTokens = i % 4 * 8,
                Seed = i,
            };

            var answer = await engine.Service.GetChatMessageContentAsync(new ChatHistory("Answer."), settings, engine.Kernel);

            AssertValid(schema, answer.Content ?? "", $"schema #{i}");
        }
    }

    private static void AssertValid(string schema, string json, string context = "")
    {
        using var document = JsonDocument.Parse(json);
        var result = JsonSchema.FromText(schema).Evaluate(document.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        Assert.True(result.IsValid, $"{context} invalid against {schema}: {json}");
    }
}
