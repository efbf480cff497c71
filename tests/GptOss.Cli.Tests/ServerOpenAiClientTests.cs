using GptOss.Remote.Testing;
using GptOss.Generation;
using System.ClientModel;
using System.ComponentModel;
using System.Text;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;
using Microsoft.SemanticKernel.Connectors.OpenAI;
using OpenAI;
using OpenAI.Chat;

namespace GptOss.Cli.Tests;

/// <summary>The OpenAI .NET client and Semantic Kernel's OpenAI connector talking to `gptoss serve`.</summary>
/// <summary>Each test runs on the scripted generator directly and through a fake vLLM server and the vLLM backend.</summary>
public abstract class ServerOpenAiClientTests(GeneratorRoute route) : RoutedTests(route)
{
    private static ChatClient OpenAiChat(ServerTestHost server) =>
        new("gpt-oss-test", new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = server.V1 });

    [Fact]
    public async Task The_openai_client_does_a_tool_calling_round_trip()
    {
        await using var server = await ServerTestHost.StartAsync(Routes, ServerScripts.WeatherCall, ServerScripts.WeatherAnswer);
        var chat = OpenAiChat(server);
        var options = new ChatCompletionOptions
        {
            Tools = { ChatTool.CreateFunctionTool("get_weather", "Current weather in a city.", BinaryData.FromString(ServerScripts.WeatherSchema)) },
        };
        List<OpenAI.Chat.ChatMessage> messages = [new UserChatMessage("What is the weather in Paris?")];

        ChatCompletion first = await chat.CompleteChatAsync(messages, options);

        Assert.Equal(ChatFinishReason.ToolCalls, first.FinishReason);
        var call = Assert.Single(first.ToolCalls);
        Assert.Equal("get_weather", call.FunctionName);
        Assert.Equal("{\"city\": \"Paris\"}", call.FunctionArguments.ToString());
        Assert.False(string.IsNullOrEmpty(call.Id));
        Assert.Empty(first.Content);

        messages.Add(new AssistantChatMessage(first));
        messages.Add(new ToolChatMessage(call.Id, "{\"temperature\": 18}"));
        ChatCompletion second = await chat.CompleteChatAsync(messages, options);

        Assert.Equal(ChatFinishReason.Stop, second.FinishReason);
        Assert.Equal("It is 18°C in Paris.", second.Content.Single().Text);
        var prompt = server.Generator.PromptTexts[1];
        Assert.Contains("type get_weather = (_: {", server.Generator.PromptTexts[0]);
        // The client sent the call back without its reasoning; the server restored it next to the result.
        Assert.Contains(
            "<|start|>assistant<|channel|>analysis<|message|>Need the weather; call get_weather.<|end|>" +
            "<|start|>assistant to=functions.get_weather<|channel|>commentary <|constrain|>json<|message|>{\"city\": \"Paris\"}<|call|>" +
            "<|start|>functions.get_weather to=assistant<|channel|>commentary<|message|>{\"temperature\": 18}<|end|><|start|>assistant", prompt);
        Assert.Equal(server.Generator.Prompts[1].Count, second.Usage.InputTokenCount);
        Assert.True(second.Usage.InputTokenDetails.CachedTokenCount > 0);
    }

    [Fact]
    public async Task The_openai_client_streams_an_answer_without_the_reasoning()
    {
        await using var server = await ServerTestHost.StartAsync(Routes, ServerScripts.WeatherAnswer);
        var chat = OpenAiChat(server);

        var text = new List<string>();
        ChatFinishReason? finish = null;
        ChatTokenUsage? usage = null;
        await foreach (var update in chat.CompleteChatStreamingAsync([new UserChatMessage("Weather?")]))
        {
            text.AddRange(update.ContentUpdate.Select(p => p.Text));
            finish ??= update.FinishReason;
            usage ??= update.Usage;
        }

        Assert.Equal("It is 18°C in Paris.", string.Concat(text));
        Assert.True(text.Count(t => t.Length > 0) > 1, "streamed in several deltas");
        Assert.Equal(ChatFinishReason.Stop, finish);
        Assert.NotNull(usage);
        Assert.True(usage!.OutputTokenCount > 0);
    }

    [Fact]
    public async Task The_openai_client_receives_a_streamed_tool_call()
    {
        await using var server = await ServerTestHost.StartAsync(Routes, ServerScripts.WeatherCall, ServerScripts.WeatherAnswer);
        var options = new ChatCompletionOptions
        {
            Tools = { ChatTool.CreateFunctionTool("get_weather", "Current weather in a city.", BinaryData.FromString(ServerScripts.WeatherSchema)) },
        };

        var calls = new List<StreamingChatToolCallUpdate>();
        var text = new StringBuilder();
        ChatFinishReason? finish = null;
        await foreach (var update in OpenAiChat(server).CompleteChatStreamingAsync([new UserChatMessage("Weather in Paris?")], options))
        {
            calls.AddRange(update.ToolCallUpdates);
            text.Append(string.Concat(update.ContentUpdate.Select(p => p.Text)));
            finish ??= update.FinishReason;
        }

        var call = Assert.Single(calls);
        Assert.Equal("get_weather", call.FunctionName);
        Assert.Equal("{\"city\": \"Paris\"}", call.FunctionArgumentsUpdate.ToString());
        Assert.Equal(ChatFinishReason.ToolCalls, finish);
        Assert.Equal("", text.ToString());

        ChatCompletion answer = await OpenAiChat(server).CompleteChatAsync(
            [
                new UserChatMessage("Weather in Paris?"),
                new AssistantChatMessage([ChatToolCall.CreateFunctionToolCall(call.ToolCallId, call.FunctionName, call.FunctionArgumentsUpdate)]),
                new ToolChatMessage(call.ToolCallId, "{\"temperature\": 18}"),
            ], options);

        Assert.Equal("It is 18°C in Paris.", answer.Content.Single().Text);
        Assert.Contains("<|start|>assistant<|channel|>analysis<|message|>Need the weather; call get_weather.<|end|>" +
            "<|start|>assistant to=functions.get_weather", server.Generator.PromptTexts[1]);
    }

    [Fact]
    public async Task Semantic_Kernels_openai_connector_completes_a_chat_and_auto_invokes_a_kernel_function()
    {
        await using var server = await ServerTestHost.StartAsync(Routes,
            ServerScripts.WeatherCall.Replace("functions.get_weather", "functions.Weather-get_weather"),
            ServerScripts.WeatherAnswer);
        var builder = Kernel.CreateBuilder().AddOpenAIChatCompletion("gpt-oss-test", server.V1, "unused");
        var plugin = new WeatherPlugin();
        builder.Plugins.AddFromObject(plugin, "Weather");
        var kernel = builder.Build();
        var history = new ChatHistory();
        history.AddUserMessage("What is the weather in Paris?");

        var answer = await kernel.GetRequiredService<IChatCompletionService>().GetChatMessageContentAsync(
            history, new OpenAIPromptExecutionSettings { FunctionChoiceBehavior = FunctionChoiceBehavior.Auto() }, kernel);

        Assert.Equal("It is 18°C in Paris.", answer.Content);
        Assert.Equal(["Paris"], plugin.Cities);
        Assert.Contains("<|start|>functions.Weather-get_weather to=assistant<|channel|>commentary<|message|>18C and sunny in Paris<|end|>",
            server.Generator.PromptTexts[1]);
    }

    public sealed class WeatherPlugin
    {
        public List<string> Cities { get; } = [];

        [KernelFunction("get_weather"), Description("Current weather in a city.")]
        public string GetWeather(string city)
        {
            Cities.Add(city);
            return $"18C and sunny in {city}";
        }
    }
}

public sealed class ServerOpenAiClientTestsOnScript() : ServerOpenAiClientTests(GeneratorRoute.Direct);

public sealed class ServerOpenAiClientTestsOverVllm() : ServerOpenAiClientTests(GeneratorRoute.Vllm);
