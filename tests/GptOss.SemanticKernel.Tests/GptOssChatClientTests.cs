using GptOss.Remote.Testing;
using GptOss.Testing;
using GptOss.Generation;
using GptOss.Engine;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace GptOss.SemanticKernel.Tests;

/// <summary>Each test runs on the scripted generator directly and through a fake vLLM server and the vLLM backend.</summary>
public abstract class GptOssChatClientTests(GeneratorRoute route) : RoutedTests(route)
{
    private GptOssChatClient Client(ScriptedTokenGenerator generator) =>
        new(new HarmonyChatPipeline(Routes.Through(generator)), new GptOssOptions { IncludeCurrentDate = false, ModelId = "gpt-oss-test" });

    private static readonly AIFunctionDeclaration GetWeather = AIFunctionFactory.CreateDeclaration(
        "get_weather", "Current weather in a city.",
        System.Text.Json.JsonDocument.Parse("""{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}""").RootElement);

    [Fact]
    public async Task A_tool_call_comes_back_as_a_function_call_with_parsed_arguments_and_reasoning_apart()
    {
        var client = Client(ScriptedTokenGenerator.FromHarmony(HarmonyScripts.Call("functions.get_weather", "{\"city\":\"Paris\"}")));

        var response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "Weather in Paris?")], new ChatOptions { Tools = [GetWeather] });

        var message = Assert.Single(response.Messages);
        var call = Assert.Single(message.Contents.OfType<FunctionCallContent>());
        Assert.Equal("get_weather", call.Name);
        Assert.StartsWith("call_", call.CallId);
        Assert.Equal("Paris", call.Arguments!["city"]!.ToString());
        Assert.Null(call.Exception);
        Assert.Equal("Calling a tool.", Assert.Single(message.Contents.OfType<TextReasoningContent>()).Text);
        Assert.Equal("", message.Text);
        Assert.Equal(ChatFinishReason.ToolCalls, response.FinishReason);
        Assert.Equal("gpt-oss-test", response.ModelId);
    }

    [Fact]
    public async Task Invalid_json_arguments_are_still_a_function_call_carrying_the_parse_error()
    {
        var client = Client(ScriptedTokenGenerator.FromHarmony(HarmonyScripts.Call("functions.get_weather", "{city: Paris")));

        var response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "Weather?")], new ChatOptions { Tools = [GetWeather] });

        var call = Assert.Single(response.Messages[0].Contents.OfType<FunctionCallContent>());
        Assert.NotNull(call.Exception);
    }

    [Fact]
    public async Task A_full_tool_round_trip_renders_call_and_result_as_harmony()
    {
        var generator = ScriptedTokenGenerator.FromHarmony(HarmonyScripts.Call("functions.get_weather", "{\"city\":\"Paris\"}"), HarmonyScripts.Final("Done.", "Sunny."));
        var client = Client(generator);
        var history = new List<ChatMessage> { new(ChatRole.System, "Be brief."), new(ChatRole.User, "Weather in Paris?") };
        var options = new ChatOptions { Tools = [GetWeather] };

        var first = await client.GetResponseAsync(history, options);
        var call = first.Messages[0].Contents.OfType<FunctionCallContent>().Single();
        history.AddRange(first.Messages);
        history.Add(new ChatMessage(ChatRole.Tool, [new FunctionResultContent(call.CallId, new { sunny = true })]));
        var second = await client.GetResponseAsync(history, options);

        Assert.Equal("Sunny.", second.Text);
        var prompt = generator.PromptTexts[1];
        Assert.Contains("<|start|>assistant<|channel|>analysis<|message|>Calling a tool.<|end|>", prompt);
        Assert.Contains("<|start|>functions.get_weather to=assistant<|channel|>commentary<|message|>{\"sunny\":true}<|end|>", prompt);
        Assert.True(second.Usage!.CachedInputTokenCount > 0);
    }

    [Fact]
    public async Task Streaming_yields_reasoning_and_text_deltas_then_usage_and_finish_reason()
    {
        var client = Client(ScriptedTokenGenerator.FromHarmony(HarmonyScripts.Final("Greeting.", "Hello there, friend!")));

        var updates = new List<ChatResponseUpdate>();
        await foreach (var u in client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "Hi")])) updates.Add(u);

        Assert.Equal("Hello there, friend!", string.Concat(updates.Select(u => u.Text)));
        Assert.Equal("Greeting.", string.Concat(updates.SelectMany(u => u.Contents.OfType<TextReasoningContent>()).Select(r => r.Text)));
        Assert.Equal(ChatFinishReason.Stop, updates[^1].FinishReason);
        var response = updates.ToChatResponse();
        Assert.True(response.Usage!.OutputTokenCount > 0);
    }

    [Fact]
    public async Task An_image_is_refused_with_a_clear_error()
    {
        var client = Client(ScriptedTokenGenerator.FromHarmony());

        var error = await Assert.ThrowsAsync<ArgumentException>(() => client.GetResponseAsync(
            [new ChatMessage(ChatRole.User, [new DataContent(new byte[] { 1, 2 }, "image/png")])]));

        Assert.Contains("text only", error.Message);
    }

    [Fact]
    public async Task Registration_binds_options_from_the_GptOss_section_and_uses_the_registered_generator()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["GptOss:ModelId"] = "gpt-oss-20b", ["GptOss:ReasoningEffort"] = "High", ["GptOss:MaxTokens"] = "77", ["GptOss:IncludeCurrentDate"] = "false",
        }).Build();
        var generator = ScriptedTokenGenerator.FromHarmony(HarmonyScripts.Final("Hm.", "Hi."));
        var services = new ServiceCollection()
            .AddSingleton(Routes.Through(generator))
            .AddGptOssChatCompletion(configuration, serviceId: "local")
            .BuildServiceProvider();

        var client = services.GetRequiredKeyedService<IChatClient>("local");
        var response = await client.GetResponseAsync("Hello");

        Assert.Equal("Hi.", response.Text);
        Assert.Equal("gpt-oss-20b", services.GetRequiredService<IOptions<GptOssOptions>>().Value.ModelId);
        Assert.Contains("Reasoning: high", generator.PromptTexts[0]);
        Assert.DoesNotContain("Current date", generator.PromptTexts[0]);
        Assert.Equal(77, generator.Options[0].MaxNewTokens);
    }

    [Fact]
    public void Without_a_model_directory_or_generator_resolution_fails_naming_the_setting()
    {
        var services = new ServiceCollection().AddGptOssChatCompletion().BuildServiceProvider();

        var error = Assert.Throws<InvalidOperationException>(() => services.GetRequiredService<IChatClient>());

        Assert.Contains("GptOss:ModelDirectory", error.Message);
    }

    [Fact]
    public async Task The_registered_chat_client_auto_invokes_kernel_functions_through_SKs_loop()
    {
        var generator = ScriptedTokenGenerator.FromHarmony(HarmonyScripts.WeatherCall, HarmonyScripts.WeatherAnswer);
        var plugin = new WeatherPlugin();
        var kernel = Scripts.Kernel(Routes.Through(generator), plugin);
        var options = Microsoft.SemanticKernel.PromptExecutionSettingsExtensions.ToChatOptions(
            new Microsoft.SemanticKernel.PromptExecutionSettings { FunctionChoiceBehavior = Microsoft.SemanticKernel.FunctionChoiceBehavior.Auto() }, kernel);

        var response = await kernel.GetRequiredService<IChatClient>().GetResponseAsync("What is the weather in Paris?", options);

        Assert.Equal("It is 18°C in Paris.", response.Text);
        Assert.Equal([("Paris", "celsius")], plugin.Calls);
        Assert.Contains(response.Messages, m => m.Contents.OfType<FunctionResultContent>().Any());
    }
}

public sealed class GptOssChatClientTestsOnScript() : GptOssChatClientTests(GeneratorRoute.Direct);

public sealed class GptOssChatClientTestsOverVllm() : GptOssChatClientTests(GeneratorRoute.Vllm);
