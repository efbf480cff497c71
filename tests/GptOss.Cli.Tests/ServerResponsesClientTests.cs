using System.ClientModel;
using GptOss.Remote.Testing;
using GptOss.Tools;
using Microsoft.Extensions.AI;
using OpenAI.Responses;

namespace GptOss.Cli.Tests;

/// <summary>The OpenAI .NET SDK's Responses client and M.E.AI's <c>OpenAIResponsesChatClient</c> against `gptoss serve`'s /v1/responses.</summary>
public sealed class ServerResponsesClientTests : IAsyncLifetime
{
    private readonly GeneratorRoutes _routes = new(GeneratorRoute.Direct);

    private static ResponsesClient Responses(ServerTestHost server) =>
        new(new ApiKeyCredential("unused"), new ResponsesClientOptions { Endpoint = server.V1 });

    private static FunctionTool WeatherTool() =>
        ResponseTool.CreateFunctionTool("get_weather", BinaryData.FromString(ServerScripts.WeatherSchema), false, "Current weather in a city.");

    private static CreateResponseOptions Ask(string text, bool stream = false) =>
        new("gpt-oss-test", [ResponseItem.CreateUserMessageItem(text)]) { Tools = { WeatherTool() }, StreamingEnabled = stream };

    [Fact]
    public async Task The_responses_client_does_a_function_call_round_trip_continuing_the_stored_response()
    {
        await using var server = await ServerTestHost.StartAsync(_routes, ServerScripts.WeatherCall, ServerScripts.WeatherAnswer);
        var client = Responses(server);

        ResponseResult first = await client.CreateResponseAsync(Ask("What is the weather in Paris?"));

        Assert.Equal(ResponseStatus.Completed, first.Status);
        Assert.IsType<ReasoningResponseItem>(first.OutputItems[0]);
        var call = Assert.IsType<FunctionCallResponseItem>(first.OutputItems[1]);
        Assert.Equal("get_weather", call.FunctionName);
        Assert.Equal("{\"city\": \"Paris\"}", call.FunctionArguments.ToString());
        Assert.StartsWith("call_", call.CallId);

        var next = new CreateResponseOptions("gpt-oss-test", [ResponseItem.CreateFunctionCallOutputItem(call.CallId, "{\"temperature\": 18}")])
        {
            PreviousResponseId = first.Id,
            Tools = { WeatherTool() },
        };
        ResponseResult second = await client.CreateResponseAsync(next);

        Assert.Equal("It is 18°C in Paris.", second.GetOutputText());
        Assert.Equal(first.Id, second.PreviousResponseId);
        // The stored response's reasoning and call come back before the result, as the model wrote them.
        Assert.Contains(
            "<|start|>user<|message|>What is the weather in Paris?<|end|>" +
            "<|start|>assistant<|channel|>analysis<|message|>Need the weather; call get_weather.<|end|>" +
            "<|start|>assistant to=functions.get_weather<|channel|>commentary <|constrain|>json<|message|>{\"city\": \"Paris\"}<|call|>" +
            "<|start|>functions.get_weather to=assistant<|channel|>commentary<|message|>{\"temperature\": 18}<|end|><|start|>assistant",
            server.Generator.PromptTexts[1]);
        Assert.Equal(server.Generator.Prompts[1].Count, second.Usage.InputTokenCount);
        Assert.True(second.Usage.InputTokenDetails.CachedTokenCount > 0, "continuing reuses the cached prefix");
        Assert.True(second.Usage.OutputTokenDetails.ReasoningTokenCount > 0);
    }

    [Fact]
    public async Task The_responses_client_streams_a_function_call_then_the_answer()
    {
        await using var server = await ServerTestHost.StartAsync(_routes, ServerScripts.WeatherCall, ServerScripts.WeatherAnswer);
        var client = Responses(server);

        var done = new List<ResponseItem>();
        ResponseResult? first = null;
        await foreach (var update in await client.CreateResponseStreamingAsync(Ask("What is the weather in Paris?", stream: true)))
        {
            if (update is StreamingResponseOutputItemDoneUpdate itemDone) done.Add(itemDone.Item);
            if (update is StreamingResponseCompletedUpdate completed) first = completed.Response;
        }
        var call = Assert.IsType<FunctionCallResponseItem>(done.Last());
        Assert.Equal("{\"city\": \"Paris\"}", call.FunctionArguments.ToString());
        Assert.NotNull(first);

        var next = new CreateResponseOptions("gpt-oss-test", [ResponseItem.CreateFunctionCallOutputItem(call.CallId, "{\"temperature\": 18}")])
        {
            PreviousResponseId = first!.Id,
            Tools = { WeatherTool() },
            StreamingEnabled = true,
        };
        var text = new List<string>();
        ResponseTokenUsage? usage = null;
        await foreach (var update in await client.CreateResponseStreamingAsync(next))
        {
            if (update is StreamingResponseOutputTextDeltaUpdate delta) text.Add(delta.Delta);
            if (update is StreamingResponseCompletedUpdate completed) usage = completed.Response.Usage;
        }
        Assert.Equal("It is 18°C in Paris.", string.Concat(text));
        Assert.True(text.Count > 1, "streamed in several deltas");
        Assert.True(usage!.InputTokenDetails.CachedTokenCount > 0);
    }

    // Not streamed: Microsoft.Extensions.AI.OpenAI 10.11 (and 11.0) is built against OpenAI 2.14, whose
    // CreateResponseStreamingAsync 2.15 changed, so its streaming throws MissingMethodException before any request.
    [Fact]
    public async Task The_meai_responses_chat_client_runs_a_function_through_the_server()
    {
        await using var server = await ServerTestHost.StartAsync(_routes, ServerScripts.WeatherCall, ServerScripts.WeatherAnswer);
        var cities = new List<string>();
        var chat = Responses(server).AsIChatClient("gpt-oss-test").AsBuilder().UseFunctionInvocation().Build();
        var options = new ChatOptions
        {
            Tools = [AIFunctionFactory.Create((string city) => { cities.Add(city); return "{\"temperature\": 18}"; }, "get_weather", "Current weather in a city.")],
        };

        var response = await chat.GetResponseAsync("What is the weather in Paris?", options);

        Assert.Equal(["Paris"], cities);
        Assert.Equal("It is 18°C in Paris.", response.Text);
        Assert.Contains("<|start|>functions.get_weather to=assistant<|channel|>commentary<|message|>", server.Generator.PromptTexts[1]);
        Assert.True(response.Usage?.CachedInputTokenCount > 0, "the function result continued the stored response");
    }

    [SkippablePythonFact]
    public async Task The_responses_client_gets_a_code_interpreter_call_run_on_the_server()
    {
        await using var tools = new HostedToolsFolder();
        await using var server = await ServerTestHost.StartAsync(_routes, tools.Factory, ResponsesScripts.PythonCall, ResponsesScripts.PythonAnswer);
        var options = new CreateResponseOptions("gpt-oss-test", [ResponseItem.CreateUserMessageItem("What is 6 times 7?")])
        {
            Tools = { ResponseTool.CreateCodeInterpreterTool(new CodeInterpreterToolContainer(new AutomaticCodeInterpreterToolContainerConfiguration())) },
        };

        ResponseResult response = await Responses(server).CreateResponseAsync(options);

        var code = Assert.Single(response.OutputItems.OfType<CodeInterpreterCallResponseItem>());
        Assert.Equal("print(6 * 7)", code.Code);
        Assert.Equal("42", Assert.IsType<CodeInterpreterCallLogsOutput>(Assert.Single(code.Outputs)).Logs.Trim());
        Assert.Equal("6 × 7 = 42.", response.GetOutputText());
        Assert.Contains("## python\n\nUse this tool to execute Python code", server.Generator.PromptTexts[0], StringComparison.Ordinal);
        Assert.Contains("<|start|>python to=assistant<|channel|>analysis<|message|>42", server.Generator.PromptTexts[1]);
    }

    [SkippablePythonFact]
    public async Task The_meai_responses_chat_client_sees_the_hosted_code_interpreter_call()
    {
        await using var tools = new HostedToolsFolder();
        await using var server = await ServerTestHost.StartAsync(_routes, tools.Factory, ResponsesScripts.PythonCall, ResponsesScripts.PythonAnswer);
        var chat = Responses(server).AsIChatClient("gpt-oss-test");

        var response = await chat.GetResponseAsync("What is 6 times 7?", new ChatOptions { Tools = [new HostedCodeInterpreterTool()] });

        var contents = response.Messages.SelectMany(m => m.Contents).ToList();
        Assert.Contains(contents, c => c is CodeInterpreterToolCallContent);
        var result = Assert.Single(contents.OfType<CodeInterpreterToolResultContent>());
        Assert.Contains(result.Outputs ?? [], o => o is Microsoft.Extensions.AI.TextContent { Text: var t } && t.Trim() == "42");
        Assert.Equal("6 × 7 = 42.", response.Text);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _routes.DisposeAsync();
}

/// <summary>gpt-oss completions that use its built-in tools.</summary>
internal static class ResponsesScripts
{
    public const string PythonCall =
        "<|channel|>analysis<|message|>Compute it with python.<|end|>" +
        "<|start|>assistant<|channel|>analysis to=python code<|message|>print(6 * 7)<|call|>";

    public const string PythonAnswer =
        "<|channel|>analysis<|message|>Python says 42.<|end|>" +
        "<|start|>assistant<|channel|>final<|message|>6 × 7 = 42.<|return|>";

    public const string SearchCall =
        "<|channel|>analysis<|message|>Search the corpus.<|end|>" +
        "<|start|>assistant<|channel|>analysis to=browser.search code<|message|>{\"query\": \"harmony format\"}<|call|>";

    public const string OpenCall =
        "<|channel|>analysis<|message|>Open the document.<|end|>" +
        "<|start|>assistant<|channel|>analysis to=browser.open code<|message|>{\"id\": \"harmony.md\"}<|call|>";

    public const string CitingAnswer =
        "<|channel|>analysis<|message|>Cite it.<|end|>" +
        "<|start|>assistant<|channel|>final<|message|>Harmony is gpt-oss's chat format【0†L2-L2】 with channels.<|return|>";

    public const string SearchAnswer =
        "<|channel|>analysis<|message|>Found it.<|end|>" +
        "<|start|>assistant<|channel|>final<|message|>Harmony is gpt-oss's chat format.<|return|>";
}

/// <summary>The real tools for hosted calls: python in its sandbox, the browser over a temporary corpus folder; deleted on dispose.</summary>
internal sealed class HostedToolsFolder : IAsyncDisposable
{
    private readonly string _corpus = Directory.CreateTempSubdirectory("gptoss-corpus-").FullName;

    public HostedToolsFolder()
    {
        File.WriteAllText(Path.Combine(_corpus, "harmony.md"), "# Harmony\n\nThe harmony format is gpt-oss's chat format, with channels.\n");
        Factory = new ToolExecutorFactory(new ToolsOptions
        {
            TimeLimit = TimeSpan.FromSeconds(20),
            Browser = new BrowserOptions { CorpusDirectory = _corpus },
        });
    }

    public ToolExecutorFactory Factory { get; }

    public ValueTask DisposeAsync()
    {
        Factory.Dispose();
        Directory.Delete(_corpus, recursive: true);
        return ValueTask.CompletedTask;
    }
}

/// <summary>A fact that needs the python sandbox (bubblewrap, python3); skipped with the reason where it cannot run.</summary>
public sealed class SkippablePythonFactAttribute : FactAttribute
{
    private static readonly Lazy<string?> Missing = new(() =>
    {
        using var factory = new ToolExecutorFactory(new ToolsOptions());
        var executor = factory.Create();
        var reason = executor.Unavailable.GetValueOrDefault("python");
        executor.DisposeAsync().AsTask().GetAwaiter().GetResult();
        return reason;
    });

    public SkippablePythonFactAttribute()
    {
        if (Missing.Value is { } reason) Skip = $"python sandbox unavailable: {reason}";
    }
}
