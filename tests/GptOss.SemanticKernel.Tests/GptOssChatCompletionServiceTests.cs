using GptOss.Remote.Testing;
using GptOss.Testing;
using GptOss.Generation;
using GptOss.Engine;
using Microsoft.Extensions.AI;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;

namespace GptOss.SemanticKernel.Tests;

/// <summary>Each test runs on the scripted generator directly and through a fake vLLM server and the vLLM backend.</summary>
public abstract class GptOssChatCompletionServiceTests(GeneratorRoute route) : RoutedTests(route)
{
    private const string ToolResultInSecondPrompt =
        "<|start|>functions.Weather_get_weather to=assistant<|channel|>commentary<|message|>" +
        "{\"city\":\"Paris\",\"temperature\":18,\"unit\":\"celsius\"}<|end|>";

    [Fact]
    public async Task InvokePromptAsync_with_auto_function_calling_runs_the_kernel_function_and_returns_the_final_answer()
    {
        var generator = ScriptedTokenGenerator.FromHarmony(HarmonyScripts.WeatherCall, HarmonyScripts.WeatherAnswer);
        var plugin = new WeatherPlugin();
        var kernel = Scripts.Kernel(Routes.Through(generator), plugin);

        var result = await kernel.InvokePromptAsync("What is the weather in Paris?",
            new KernelArguments(new PromptExecutionSettings { FunctionChoiceBehavior = FunctionChoiceBehavior.Auto() }));

        Assert.Equal("It is 18°C in Paris.", result.ToString());
        Assert.Equal([("Paris", "celsius")], plugin.Calls);
        Assert.Equal(2, generator.Prompts.Count);
        var first = generator.PromptTexts[0];
        Assert.Contains("## functions", first);
        Assert.Contains("type Weather_get_weather = (_: {", first);
        Assert.Contains("<|start|>user<|message|>What is the weather in Paris?<|end|>", first);
        var second = generator.PromptTexts[1];
        Assert.StartsWith(first[..^"<|start|>assistant".Length], second);
        // The chain of thought stays next to the call during the tool loop, then the call, then its result.
        Assert.Contains(
            "<|start|>assistant<|channel|>analysis<|message|>User asks for the weather in Paris. I should call get_weather.<|end|>" +
            "<|start|>assistant to=functions.Weather_get_weather<|channel|>commentary <|constrain|>json<|message|>{\"city\":\"Paris\"}<|call|>" +
            ToolResultInSecondPrompt, second);
        Assert.EndsWith("<|start|>assistant", second);
    }

    [Fact]
    public async Task Streaming_auto_function_calling_streams_the_answer_and_keeps_reasoning_apart()
    {
        var generator = ScriptedTokenGenerator.FromHarmony(HarmonyScripts.WeatherCall, HarmonyScripts.WeatherAnswer);
        var plugin = new WeatherPlugin();
        var kernel = Scripts.Kernel(Routes.Through(generator), plugin);
        var settings = new GptOssPromptExecutionSettings { FunctionChoiceBehavior = FunctionChoiceBehavior.Auto() };

        var text = new List<string>();
        var reasoning = new List<string>();
        await foreach (var update in kernel.InvokePromptStreamingAsync<StreamingChatMessageContent>(
            "What is the weather in Paris?", new KernelArguments(settings)))
        {
            text.AddRange(update.Items.OfType<StreamingTextContent>().Select(t => t.Text ?? ""));
            reasoning.AddRange(update.Items.OfType<StreamingReasoningContent>().Select(r => r.Text));
        }

        Assert.Equal("It is 18°C in Paris.", string.Concat(text));
        Assert.True(text.Count > 1, "the answer arrives in several deltas");
        Assert.Equal(
            "User asks for the weather in Paris. I should call get_weather.The tool says 18 degrees. Answer briefly.",
            string.Concat(reasoning));
        Assert.Equal([("Paris", "celsius")], plugin.Calls);
        Assert.Contains(ToolResultInSecondPrompt, generator.PromptTexts[1]);
    }

    [Fact]
    public async Task Reasoning_is_returned_as_reasoning_content_not_as_answer_text_and_usage_is_in_metadata()
    {
        var generator = ScriptedTokenGenerator.FromHarmony(HarmonyScripts.Final("Simple greeting.", "Hello!"));
        var service = Scripts.Kernel(Routes.Through(generator)).GetRequiredService<IChatCompletionService>();
        var history = new ChatHistory("Answer briefly.");
        history.AddUserMessage("Hi");

        var answer = await service.GetChatMessageContentAsync(history);

        Assert.Equal("Hello!", answer.Content);
        Assert.Equal("Simple greeting.", Assert.Single(answer.Items.OfType<ReasoningContent>()).Text);
        var usage = Assert.IsType<UsageDetails>(answer.Metadata!["Usage"]);
        Assert.Equal(generator.Prompts[0].Count, usage.InputTokenCount);
        Assert.True(usage.OutputTokenCount > 5);
        Assert.Contains("<|start|>developer<|message|># Instructions\n\nAnswer briefly.<|end|>", generator.PromptTexts[0]);
    }

    [Fact]
    public async Task Reasoning_of_a_finished_turn_is_not_sent_back_in_the_next_turn()
    {
        var generator = ScriptedTokenGenerator.FromHarmony(HarmonyScripts.Final("FIRST-THOUGHT", "Hello!"), HarmonyScripts.Final("SECOND-THOUGHT", "Fine."));
        var service = Scripts.Kernel(Routes.Through(generator)).GetRequiredService<IChatCompletionService>();
        var history = new ChatHistory();
        history.AddUserMessage("Hi");
        history.Add(await service.GetChatMessageContentAsync(history));
        history.AddUserMessage("How are you?");

        await service.GetChatMessageContentAsync(history);

        var second = generator.PromptTexts[1];
        Assert.DoesNotContain("FIRST-THOUGHT", second);
        Assert.Contains("<|start|>assistant<|channel|>final<|message|>Hello!<|end|><|start|>user<|message|>How are you?<|end|>", second);
    }

    [Fact]
    public async Task Calling_a_function_that_does_not_exist_gives_the_model_an_error_to_react_to()
    {
        var generator = ScriptedTokenGenerator.FromHarmony(
            HarmonyScripts.Call("functions.Weather_get_forecast", "{\"city\":\"Paris\"}"),
            HarmonyScripts.Final("That function does not exist.", "Sorry, I cannot get a forecast."));
        var plugin = new WeatherPlugin();
        var kernel = Scripts.Kernel(Routes.Through(generator), plugin);

        var result = await kernel.InvokePromptAsync("Forecast for Paris?",
            new KernelArguments(new PromptExecutionSettings { FunctionChoiceBehavior = FunctionChoiceBehavior.Auto() }));

        Assert.Equal("Sorry, I cannot get a forecast.", result.ToString());
        Assert.Empty(plugin.Calls);
        Assert.Matches(
            "<\\|start\\|>functions\\.Weather_get_forecast to=assistant<\\|channel\\|>commentary<\\|message\\|>[^<]*Error[^<]*not found[^<]*<\\|end\\|>",
            generator.PromptTexts[1]);
    }

    [Theory]
    [InlineData("{\"town\":\"Paris\"}")]   // a required argument is missing
    [InlineData("{\"city\": \"Paris\"")]   // not JSON
    [InlineData("[\"Paris\"]")]            // not an object
    public async Task Arguments_that_do_not_match_the_schema_give_the_model_an_error_to_react_to(string arguments)
    {
        var generator = ScriptedTokenGenerator.FromHarmony(
            HarmonyScripts.Call("functions.Weather_get_weather", arguments),
            HarmonyScripts.Final("The call failed.", "I could not get the weather."));
        var plugin = new WeatherPlugin();
        var kernel = Scripts.Kernel(Routes.Through(generator), plugin);

        var result = await kernel.InvokePromptAsync("Weather in Paris?",
            new KernelArguments(new PromptExecutionSettings { FunctionChoiceBehavior = FunctionChoiceBehavior.Auto() }));

        Assert.Equal("I could not get the weather.", result.ToString());
        Assert.Empty(plugin.Calls);
        Assert.Matches(
            "<\\|start\\|>functions\\.Weather_get_weather to=assistant<\\|channel\\|>commentary<\\|message\\|>[^<]*Error[^<]*<\\|end\\|>",
            generator.PromptTexts[1]);
    }

    [Fact]
    public async Task Execution_settings_reach_the_prompt_and_the_sampler()
    {
        var generator = ScriptedTokenGenerator.FromHarmony(HarmonyScripts.Final("Think.", "A long answer that goes on"));
        var kernel = Scripts.Kernel(Routes.Through(generator));
        var settings = new PromptExecutionSettings
        {
            ExtensionData = new Dictionary<string, object>
            {
                ["reasoning_effort"] = "high", ["temperature"] = 0.25, ["top_p"] = "0.5", ["max_tokens"] = 200, ["seed"] = 42,
                ["stop"] = new[] { " goes" },
            },
        };

        var answer = await kernel.GetRequiredService<IChatCompletionService>()
            .GetChatMessageContentAsync(new ChatHistory([new ChatMessageContent(AuthorRole.User, "Hi")]), settings, kernel);

        Assert.Equal("A long answer that", answer.Content);
        Assert.Contains("Reasoning: high", generator.PromptTexts[0]);
        var options = generator.Options[0];
        Assert.Equal(0.25f, options.Temperature);
        Assert.Equal(0.5f, options.TopP);
        Assert.Equal(200, options.MaxNewTokens);
        Assert.Equal(42, options.Seed);
    }

    [Fact]
    public async Task Max_tokens_cuts_the_answer_and_reports_length()
    {
        var generator = ScriptedTokenGenerator.FromHarmony(HarmonyScripts.Final("Think about it for a while.", "Answer."));
        var service = Scripts.Kernel(Routes.Through(generator)).GetRequiredService<IChatCompletionService>();

        var answer = await service.GetChatMessageContentAsync(
            new ChatHistory([new ChatMessageContent(AuthorRole.User, "Hi")]), new GptOssPromptExecutionSettings { MaxTokens = 4 });

        Assert.Equal("length", answer.Metadata!["FinishReason"]);
        Assert.Equal(4, ((UsageDetails)answer.Metadata["Usage"]!).OutputTokenCount);
        Assert.Empty(answer.Content ?? "");
    }

    [Fact]
    public async Task An_unknown_reasoning_effort_is_a_clear_error()
    {
        var service = Scripts.Kernel(Routes.Through(ScriptedTokenGenerator.FromHarmony())).GetRequiredService<IChatCompletionService>();

        var error = await Assert.ThrowsAsync<ArgumentException>(() => service.GetChatMessageContentAsync(
            new ChatHistory([new ChatMessageContent(AuthorRole.User, "Hi")]), new GptOssPromptExecutionSettings { ReasoningEffort = "extreme" }));

        Assert.Contains("reasoning_effort", error.Message);
    }

    [Fact]
    public async Task Concurrent_callers_share_one_engine_and_each_gets_its_own_answer()
    {
        var generator = ScriptedTokenGenerator.FromHarmony((prompt, _) =>
        {
            var question = prompt[(prompt.LastIndexOf("<|start|>user<|message|>", StringComparison.Ordinal) + 24)..];
            question = question[..question.IndexOf("<|end|>", StringComparison.Ordinal)];
            return HarmonyScripts.Final("Echo.", "echo " + question);
        });
        var service = Scripts.Kernel(Routes.Through(generator)).GetRequiredService<IChatCompletionService>();

        var answers = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => Task.Run(() =>
            service.GetChatMessageContentAsync(new ChatHistory([new ChatMessageContent(AuthorRole.User, $"q{i}")])))));

        Assert.Equal(Enumerable.Range(0, 6).Select(i => $"echo q{i}"), answers.Select(a => a.Content));
    }

    [Fact]
    public async Task Cancelling_a_stream_throws_and_leaves_the_engine_free_for_the_next_caller()
    {
        var generator = ScriptedTokenGenerator.FromHarmony(HarmonyScripts.Final("Long thought.", "A long answer, word by word."), HarmonyScripts.Final("Ok.", "Next."));
        var service = Scripts.Kernel(Routes.Through(generator)).GetRequiredService<IChatCompletionService>();
        var history = new ChatHistory([new ChatMessageContent(AuthorRole.User, "Hi")]);
        using var cts = new CancellationTokenSource();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var _ in service.GetStreamingChatMessageContentsAsync(history, cancellationToken: cts.Token)) cts.Cancel();
        });
        var next = await service.GetChatMessageContentAsync(history);

        Assert.Equal("Next.", next.Content);
    }

    [Fact]
    public async Task A_preamble_and_an_answer_in_one_reply_are_both_in_the_content()
    {
        var generator = ScriptedTokenGenerator.FromHarmony(
            "<|channel|>commentary<|message|>Checking my notes. <|end|><|start|>assistant<|channel|>final<|message|>All good.<|return|>");
        var service = Scripts.Kernel(Routes.Through(generator)).GetRequiredService<IChatCompletionService>();

        var answer = await service.GetChatMessageContentAsync(new ChatHistory([new ChatMessageContent(AuthorRole.User, "Status?")]));

        Assert.Equal("Checking my notes. All good.", answer.Content);
    }
}

public sealed class GptOssChatCompletionServiceTestsOnScript() : GptOssChatCompletionServiceTests(GeneratorRoute.Direct);

public sealed class GptOssChatCompletionServiceTestsOverVllm() : GptOssChatCompletionServiceTests(GeneratorRoute.Vllm);
