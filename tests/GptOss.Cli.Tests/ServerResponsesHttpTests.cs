using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using GptOss.Cli.Server;
using GptOss.Cli.Server.Responses;
using GptOss.Remote.Testing;
using Microsoft.Extensions.AI;

namespace GptOss.Cli.Tests;

/// <summary>/v1/responses on the wire: the event order, the items, errors naming the field, GET/DELETE and store.</summary>
public sealed class ServerResponsesHttpTests : IAsyncLifetime
{
    private readonly GeneratorRoutes _routes = new(GeneratorRoute.Direct);

    private static async Task<(HttpStatusCode Status, JsonNode Body)> Post(ServerTestHost server, string json)
    {
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        using var response = await http.PostAsync("v1/responses", new StringContent(json, Encoding.UTF8, "application/json"));
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
    }

    /// <summary>The events of a streamed response, as (event line, data) pairs.</summary>
    private static async Task<List<(string Type, JsonNode Data)>> Stream(ServerTestHost server, string json)
    {
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        using var response = await http.PostAsync("v1/responses", new StringContent(json, Encoding.UTF8, "application/json"));
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var events = new List<(string, JsonNode)>();
        foreach (var block in (await response.Content.ReadAsStringAsync()).Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            var lines = block.Split('\n');
            Assert.StartsWith("event: ", lines[0]);
            Assert.StartsWith("data: ", lines[1]);
            var data = JsonNode.Parse(lines[1]["data: ".Length..])!;
            Assert.Equal(lines[0]["event: ".Length..], (string)data["type"]!);
            events.Add((lines[0]["event: ".Length..], data));
        }
        return events;
    }

    // Consecutive deltas of one kind are one step of the order.
    private static List<string> Order(IEnumerable<(string Type, JsonNode Data)> events) =>
        events.Select(e => e.Type).Aggregate(new List<string>(), (list, t) =>
        {
            if (!(t.EndsWith(".delta", StringComparison.Ordinal) && list.Count > 0 && list[^1] == t)) list.Add(t);
            return list;
        });

    [Fact]
    public async Task A_streamed_answer_sends_the_reference_events_in_order()
    {
        await using var server = await ServerTestHost.StartAsync(_routes, ServerScripts.WeatherAnswer);

        var events = await Stream(server, """{"model": "gpt-oss-test", "input": "Weather?", "stream": true}""");

        Assert.Equal(
        [
            "response.created", "response.in_progress",
            "response.output_item.added", "response.content_part.added", "response.reasoning_text.delta", "response.reasoning_text.done",
            "response.content_part.done", "response.output_item.done",
            "response.output_item.added", "response.content_part.added", "response.output_text.delta", "response.output_text.done",
            "response.content_part.done", "response.output_item.done",
            "response.completed",
        ], Order(events));
        Assert.Equal(Enumerable.Range(0, events.Count), events.Select(e => (int)e.Data["sequence_number"]!));
        var reasoning = events.First(e => e.Type == "response.output_item.done").Data["item"]!;
        Assert.Equal("reasoning", (string)reasoning["type"]!);
        Assert.Equal("18 degrees, answer.", (string)reasoning["content"]![0]!["text"]!);
        Assert.Equal("reasoning_text", (string)reasoning["content"]![0]!["type"]!);
        var message = events.Last(e => e.Type == "response.output_item.done").Data["item"]!;
        Assert.Equal("It is 18°C in Paris.", (string)message["content"]![0]!["text"]!);
        Assert.Equal(1, (int)events.Last(e => e.Type == "response.output_item.done").Data["output_index"]!);
        var completed = events[^1].Data["response"]!;
        Assert.Equal("completed", (string)completed["status"]!);
        Assert.Equal(2, completed["output"]!.AsArray().Count);
        var usage = completed["usage"]!;
        Assert.Equal(server.Generator.Prompts[0].Count, (int)usage["input_tokens"]!);
        Assert.True((int)usage["output_tokens_details"]!["reasoning_tokens"]! > 0);
        Assert.True((int)usage["output_tokens"]! > (int)usage["output_tokens_details"]!["reasoning_tokens"]!);
    }

    [Fact]
    public async Task A_streamed_function_call_sends_its_arguments_then_the_complete_item()
    {
        await using var server = await ServerTestHost.StartAsync(_routes, ServerScripts.WeatherCall);

        var events = await Stream(server, $$"""
            {"input": "Weather in Paris?", "stream": true,
             "tools": [{"type": "function", "name": "get_weather", "parameters": {{ServerScripts.WeatherSchema}}}]}
            """);

        Assert.Equal(
        [
            "response.output_item.added", "response.function_call_arguments.delta", "response.function_call_arguments.done",
            "response.output_item.done", "response.completed",
        ], Order(events)[^5..]);
        var call = events[^2].Data["item"]!;
        Assert.Equal("function_call", (string)call["type"]!);
        Assert.Equal("get_weather", (string)call["name"]!);
        Assert.Equal("{\"city\": \"Paris\"}", (string)call["arguments"]!);
        Assert.Equal((string)call["id"]!, (string)events[^3].Data["item_id"]!);
        Assert.Equal("{\"city\": \"Paris\"}", (string)events[^3].Data["arguments"]!);
    }

    [Fact]
    public async Task A_web_search_runs_the_browser_inside_the_response()
    {
        await using var tools = new HostedToolsFolder();
        await using var server = await ServerTestHost.StartAsync(_routes, tools.Factory, ResponsesScripts.SearchCall, ResponsesScripts.SearchAnswer);

        var events = await Stream(server, """{"input": "What is harmony?", "tools": [{"type": "web_search_preview"}], "stream": true}""");

        Assert.Equal(
        [
            "response.output_item.added", "response.web_search_call.in_progress", "response.web_search_call.searching",
            "response.web_search_call.completed", "response.output_item.done",
        ], Order(events)[8..13]);
        var search = events.Single(e => e.Type == "response.output_item.done" && (string)e.Data["item"]!["type"]! == "web_search_call").Data["item"]!;
        Assert.Equal("completed", (string)search["status"]!);
        Assert.Equal("search", (string)search["action"]!["type"]!);
        Assert.Equal("harmony format", (string)search["action"]!["query"]!);
        Assert.Contains("namespace browser", server.Generator.PromptTexts[0], StringComparison.Ordinal);
        Assert.Contains("<|start|>browser.search to=assistant<|channel|>analysis<|message|>", server.Generator.PromptTexts[1]);
        Assert.Contains("gpt-oss's chat format", server.Generator.PromptTexts[1]);
        var output = events[^1].Data["response"]!["output"]!.AsArray().Select(i => (string)i!["type"]!);
        Assert.Equal(["reasoning", "web_search_call", "reasoning", "message"], output);
    }

    [Fact]
    public async Task A_browser_citation_becomes_a_url_citation_annotation()
    {
        await using var tools = new HostedToolsFolder();
        await using var server = await ServerTestHost.StartAsync(_routes, tools.Factory, ResponsesScripts.OpenCall, ResponsesScripts.CitingAnswer);

        var events = await Stream(server, """{"input": "What is harmony?", "tools": [{"type": "browser_search"}], "stream": true}""");

        const string text = "Harmony is gpt-oss's chat format ([harmony.md](harmony.md))  with channels.";
        var open = events.Single(e => e.Type == "response.output_item.done" && (string)e.Data["item"]!["type"]! == "web_search_call").Data["item"]!;
        Assert.Equal("open_page", (string)open["action"]!["type"]!);
        Assert.Equal("harmony.md", (string)open["action"]!["url"]!);
        var part = events[^1].Data["response"]!["output"]!.AsArray()[^1]!["content"]![0]!;
        Assert.Equal(text, (string)part["text"]!);
        Assert.Equal(text, string.Concat(events.Where(e => e.Type == "response.output_text.delta").Select(e => (string)e.Data["delta"]!)));
        var annotation = Assert.Single(part["annotations"]!.AsArray())!;
        Assert.Equal("url_citation", (string)annotation["type"]!);
        Assert.Equal("harmony.md", (string)annotation["url"]!);
        Assert.Equal(" ([harmony.md](harmony.md)) ", text[(int)annotation["start_index"]!..(int)annotation["end_index"]!]);
        Assert.Equal(annotation.ToJsonString(), events.Single(e => e.Type == "response.output_text.annotation.added").Data["annotation"]!.ToJsonString());
    }

    [Theory]
    [InlineData("""{"input": "x", "conversation": "conv_1"}""", "conversation")]
    [InlineData("""{"input": "x", "tools": [{"type": "file_search", "vector_store_ids": ["vs"]}]}""", "tools[0].type")]
    [InlineData("""{"input": "x", "reasoning": {"effort": "minimal"}}""", "reasoning.effort")]
    [InlineData("""{"input": "x", "truncation": "auto"}""", "truncation")]
    [InlineData("""{"input": "x", "background": true}""", "background")]
    [InlineData("""{"input": "x", "include": ["message.output_text.logprobs"]}""", "include[0]")]
    [InlineData("""{"input": "x", "tool_choice": {"type": "web_search_preview"}}""", "tool_choice")]
    [InlineData("""{"input": [{"role": "user", "content": [{"type": "input_image", "image_url": "http://x/y.png"}]}]}""", "input[0].content[0]")]
    [InlineData("""{"input": [{"type": "item_reference", "id": "msg_1"}]}""", "input[0].type")]
    [InlineData("""{"input": [{"type": "function_call_output", "call_id": "call_none", "output": "1"}]}""", "input")]
    [InlineData("""{"input": "x", "previous_response_id": "resp_unknown"}""", "previous_response_id")]
    [InlineData("""{"input": "x", "tools": [{"type": "code_interpreter", "container": {"type": "auto"}}]}""", "tools")]
    [InlineData("""{"input": 3}""", "input")]
    [InlineData("""{"input": "x", "text": {"format": {"type": "json_schema", "name": "s", "schema": {"type": "object", "allOf": [{"type": "object"}]}}}}""", "text.format")]
    public async Task An_unsupported_field_or_value_is_a_400_naming_it(string body, string param)
    {
        await using var server = await ServerTestHost.StartAsync(_routes, ServerScripts.WeatherAnswer);

        var (status, error) = await Post(server, body);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(param, (string?)error["error"]!["param"]);
        Assert.Equal("invalid_request_error", (string)error["error"]!["type"]!);
        Assert.Empty(server.Generator.Prompts);
    }

    [Fact]
    public async Task A_model_the_server_does_not_serve_is_a_404_model_not_found()
    {
        await using var server = await ServerTestHost.StartAsync(_routes, ServerScripts.WeatherAnswer);

        var (status, error) = await Post(server, """{"model": "gpt-4o", "input": "hi"}""");

        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal("model_not_found", (string?)error["error"]!["code"]);
        Assert.Contains("gpt-4o", (string?)error["error"]!["message"]);
        Assert.Empty(server.Generator.Prompts);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_hostile_body_is_a_400_without_generating()
    {
        await using var server = await ServerTestHost.StartAsync(_routes, ServerScripts.WeatherAnswer);
        var deep = """{"input": """ + new string('[', 100_000) + new string(']', 100_000) + "}";
        var surrogate = """{"input": "\ud800"}""";

        foreach (var body in new[] { deep, surrogate, "[1, 2]", "{\"input\": " })
        {
            var (status, error) = await Post(server, body);
            Assert.Equal(HttpStatusCode.BadRequest, status);
            Assert.Equal("invalid_request_error", (string)error["error"]!["type"]!);
        }
        Assert.Empty(server.Generator.Prompts);
    }

    [Fact]
    public async Task A_stored_response_can_be_read_and_deleted()
    {
        await using var server = await ServerTestHost.StartAsync(_routes, ServerScripts.WeatherAnswer);
        using var http = new HttpClient { BaseAddress = server.BaseAddress };

        var (_, created) = await Post(server, """{"input": "Weather?"}""");
        var id = (string)created["id"]!;
        Assert.StartsWith("resp_", id);
        Assert.True((bool)created["store"]!);

        var read = JsonNode.Parse(await http.GetStringAsync($"v1/responses/{id}"))!;
        Assert.Equal(created.ToJsonString(), read.ToJsonString());

        var deleted = await http.DeleteAsync($"v1/responses/{id}");
        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        Assert.True((bool)JsonNode.Parse(await deleted.Content.ReadAsStringAsync())!["deleted"]!);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync($"v1/responses/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.DeleteAsync($"v1/responses/{id}")).StatusCode);
    }

    [Fact]
    public async Task A_response_with_store_false_is_neither_kept_nor_continued()
    {
        await using var server = await ServerTestHost.StartAsync(_routes, ServerScripts.WeatherAnswer);
        using var http = new HttpClient { BaseAddress = server.BaseAddress };

        var (status, created) = await Post(server, """{"input": "Weather?", "store": false}""");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.False((bool)created["store"]!);
        Assert.Equal("It is 18°C in Paris.", (string)created["output"]![1]!["content"]![0]!["text"]!);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync($"v1/responses/{(string)created["id"]!}")).StatusCode);
        var (again, error) = await Post(server, $$"""{"input": "And?", "previous_response_id": "{{(string)created["id"]!}}"}""");
        Assert.Equal(HttpStatusCode.BadRequest, again);
        Assert.Equal("previous_response_not_found", (string?)error["error"]!["code"]);
    }

    [Fact]
    public async Task Max_output_tokens_reached_ends_the_response_incomplete()
    {
        await using var server = await ServerTestHost.StartAsync(_routes, ServerScripts.WeatherAnswer);

        var events = await Stream(server, """{"input": "Weather?", "max_output_tokens": 3, "stream": true}""");

        Assert.Equal("response.incomplete", events[^1].Type);
        Assert.Equal("max_output_tokens", (string)events[^1].Data["response"]!["incomplete_details"]!["reason"]!);
    }

    [Fact]
    public void Tool_choice_and_text_format_become_the_chat_options_the_constraint_is_made_from()
    {
        ResponsesRequest Read(string json) => ResponsesRequest.Read(JsonDocument.Parse(json).RootElement);

        Assert.Equal(ChatToolMode.RequireAny, Read("""{"input": "x", "tool_choice": "required"}""").Options.ToolMode);
        var named = Assert.IsType<RequiredChatToolMode>(Read("""{"input": "x", "tool_choice": {"type": "function", "name": "get_weather"}}""").Options.ToolMode);
        Assert.Equal("get_weather", named.RequiredFunctionName);
        var format = Assert.IsType<ChatResponseFormatJson>(Read("""
            {"input": "x", "text": {"format": {"type": "json_schema", "name": "city", "schema": {"type": "object", "properties": {"name": {"type": "string"}}}}}}
            """).Options.ResponseFormat);
        Assert.Equal("city", format.SchemaName);
        Assert.Equal("object", format.Schema!.Value.GetProperty("type").GetString());
        Assert.Same(ChatResponseFormat.Json, Read("""{"input": "x", "text": {"format": {"type": "json_object"}}}""").Options.ResponseFormat);
        var error = Assert.Throws<OpenAiRequestException>(() => Read("""{"input": "x", "text": {"format": {"type": "json_schema", "name": "n"}}}"""));
        Assert.Equal("text.format.schema", error.Param);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _routes.DisposeAsync();
}
