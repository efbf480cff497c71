using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace GptOss.Cli.Tests;

/// <summary>The wire format of `gptoss serve`: fields, SSE framing, errors.</summary>
public sealed class ServerHttpTests
{
    private static async Task<(HttpStatusCode Status, string Body)> Post(ServerTestHost server, string json)
    {
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        using var response = await http.PostAsync("v1/chat/completions", new StringContent(json, Encoding.UTF8, "application/json"));
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private const string Question = """{"model":"m","messages":[{"role":"user","content":"Weather in Paris?"}]""";

    [Fact]
    public async Task Reasoning_is_in_reasoning_content_and_calls_in_tool_calls_never_in_content()
    {
        await using var server = await ServerTestHost.StartAsync(ServerScripts.WeatherCall);

        var (status, body) = await Post(server, Question + ""","tools":[{"type":"function","function":{"name":"get_weather","parameters":""" + ServerScripts.WeatherSchema + "}}]}");

        Assert.Equal(HttpStatusCode.OK, status);
        var choice = JsonNode.Parse(body)!["choices"]![0]!;
        Assert.Equal("tool_calls", (string?)choice["finish_reason"]);
        var message = choice["message"]!;
        Assert.Null(message["content"]);
        Assert.Equal("Need the weather; call get_weather.", (string?)message["reasoning_content"]);
        var call = message["tool_calls"]![0]!;
        Assert.Equal("function", (string?)call["type"]);
        Assert.Equal("get_weather", (string?)call["function"]!["name"]);
        Assert.Equal("{\"city\": \"Paris\"}", (string?)call["function"]!["arguments"]);
    }

    [Fact]
    public async Task Streaming_sends_sse_chunks_with_reasoning_deltas_usage_and_done()
    {
        await using var server = await ServerTestHost.StartAsync(ServerScripts.WeatherAnswer);

        var (status, body) = await Post(server, Question + ""","stream":true,"stream_options":{"include_usage":true}}""");

        Assert.Equal(HttpStatusCode.OK, status);
        var events = body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.All(events, e => Assert.StartsWith("data: ", e));
        Assert.Equal("data: [DONE]", events[^1]);
        var chunks = events[..^1].Select(e => JsonNode.Parse(e["data: ".Length..])!).ToList();
        var deltas = chunks.Where(c => c["choices"]!.AsArray().Count > 0).Select(c => c["choices"]![0]!).ToList();
        Assert.Equal("assistant", (string?)deltas[0]["delta"]!["role"]);
        Assert.Equal("It is 18°C in Paris.", string.Concat(deltas.Select(d => (string?)d["delta"]!["content"])));
        Assert.Equal("18 degrees, answer.", string.Concat(deltas.Select(d => (string?)d["delta"]!["reasoning_content"])));
        Assert.Equal("stop", (string?)deltas[^1]["finish_reason"]);
        var usage = chunks[^1]["usage"]!;
        Assert.Equal(server.Generator.Prompts[0].Count, (int)usage["prompt_tokens"]!);
        Assert.True((int)usage["completion_tokens"]! > 0);
    }

    [Fact]
    public async Task The_token_limit_gives_finish_reason_length()
    {
        await using var server = await ServerTestHost.StartAsync(ServerScripts.WeatherAnswer);

        var (_, body) = await Post(server, Question + ""","max_tokens":3}""");

        Assert.Equal("length", (string?)JsonNode.Parse(body)!["choices"]![0]!["finish_reason"]);
        Assert.Equal(3, server.Generator.Options[0].MaxNewTokens);
    }

    [Fact]
    public async Task Sampling_settings_and_reasoning_effort_reach_the_model()
    {
        await using var server = await ServerTestHost.StartAsync(ServerScripts.WeatherAnswer);

        var (status, body) = await Post(server,
            Question + ""","temperature":0.3,"top_p":0.9,"seed":7,"reasoning_effort":"low","stop":["°C"]}""");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("It is 18", (string?)JsonNode.Parse(body)!["choices"]![0]!["message"]!["content"]);
        var options = server.Generator.Options[0];
        Assert.Equal(0.3f, options.Temperature);
        Assert.Equal(0.9f, options.TopP);
        Assert.Equal(7, options.Seed);
        Assert.Contains("Reasoning: low", server.Generator.PromptTexts[0]);
    }

    [Theory]
    [InlineData("{\"messages\": [", null)]
    [InlineData("[1, 2]", null)]
    [InlineData("{\"messages\": []}", "messages")]
    [InlineData("{\"messages\": [{\"role\": \"wizard\", \"content\": \"hi\"}]}", "messages[0].role")]
    [InlineData("{\"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"image_url\"}]}]}", "messages[0].content[0]")]
    [InlineData("{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"temperature\": \"hot\"}", "temperature")]
    [InlineData("{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"reasoning_effort\": \"max\"}", "reasoning_effort")]
    [InlineData("{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"tools\": [{\"type\": \"function\", \"function\": {\"name\": \"a b\"}}]}", "tools[0].function.name")]
    [InlineData("{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"tool_choice\": \"required\"}", "tool_choice")]
    [InlineData("{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"n\": 1.5}", "n")]
    [InlineData("{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"seed\": 1e40}", "seed")]
    [InlineData("{\"messages\": [{\"role\": \"assistant\", \"tool_calls\": [{\"function\": {\"name\": \"f\"}}]}]}", "messages[0].tool_calls[0].id")]
    public async Task Bad_requests_get_400_with_an_openai_error_body(string json, string? param)
    {
        await using var server = await ServerTestHost.StartAsync();

        var (status, body) = await Post(server, json);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        var error = JsonNode.Parse(body)!["error"]!;
        Assert.Equal("invalid_request_error", (string?)error["type"]);
        Assert.False(string.IsNullOrWhiteSpace((string?)error["message"]));
        Assert.Equal(param, (string?)error["param"]);
        Assert.Empty(server.Generator.Prompts);
    }

    [Fact]
    public async Task A_tool_result_for_an_unknown_call_id_is_a_400_even_when_streaming()
    {
        await using var server = await ServerTestHost.StartAsync();

        var (status, body) = await Post(server,
            """{"stream":true,"messages":[{"role":"user","content":"hi"},{"role":"tool","tool_call_id":"call_x","content":"1"}]}""");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("call_x", (string?)JsonNode.Parse(body)!["error"]!["message"]);
    }

    [Fact]
    public async Task Models_lists_the_served_model()
    {
        await using var server = await ServerTestHost.StartAsync();
        using var http = new HttpClient { BaseAddress = server.BaseAddress };

        var models = JsonNode.Parse(await http.GetStringAsync("v1/models"))!;

        Assert.Equal("list", (string?)models["object"]);
        Assert.Equal("gpt-oss-test", (string?)models["data"]![0]!["id"]);
    }
}
