using GptOss.Remote.Testing;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace GptOss.Cli.Tests;

/// <summary>The wire format of `gptoss serve`: fields, SSE framing, errors.</summary>
/// <summary>Each test runs on the scripted generator directly and through a fake vLLM server and the vLLM backend.</summary>
public abstract class ServerHttpTests(GeneratorRoute route) : RoutedTests(route)
{
    private static async Task<(HttpStatusCode Status, string Body)> Post(ServerTestHost server, string json)
    {
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        using var response = await http.PostAsync("v1/chat/completions", new StringContent(json, Encoding.UTF8, "application/json"));
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private const string Question = """{"model":"gpt-oss-test","messages":[{"role":"user","content":"Weather in Paris?"}]""";

    [Fact]
    public async Task Reasoning_is_in_reasoning_content_and_calls_in_tool_calls_never_in_content()
    {
        await using var server = await ServerTestHost.StartAsync(Routes, ServerScripts.WeatherCall);

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
        await using var server = await ServerTestHost.StartAsync(Routes, ServerScripts.WeatherAnswer);

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
        await using var server = await ServerTestHost.StartAsync(Routes, ServerScripts.WeatherAnswer);

        var (_, body) = await Post(server, Question + ""","max_tokens":3}""");

        Assert.Equal("length", (string?)JsonNode.Parse(body)!["choices"]![0]!["finish_reason"]);
        Assert.Equal(3, server.Generator.Options[0].MaxNewTokens);
    }

    [Fact]
    public async Task Sampling_settings_and_reasoning_effort_reach_the_model()
    {
        await using var server = await ServerTestHost.StartAsync(Routes, ServerScripts.WeatherAnswer);

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
        await using var server = await ServerTestHost.StartAsync(Routes);

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
        await using var server = await ServerTestHost.StartAsync(Routes);

        var (status, body) = await Post(server,
            """{"stream":true,"messages":[{"role":"user","content":"hi"},{"role":"tool","tool_call_id":"call_x","content":"1"}]}""");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("call_x", (string?)JsonNode.Parse(body)!["error"]!["message"]);
    }

    private static async Task<(HttpStatusCode Status, JsonNode? Error)> PostBytes(ServerTestHost server, byte[] body)
    {
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new("application/json");
        using var response = await http.PostAsync("v1/chat/completions", content);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text)!["error"]);
    }

    public static TheoryData<byte[]> InvalidUnicode => new()
    {
        Encoding.UTF8.GetBytes("""{"messages":[{"role":"user","content":"hi \ud800 there"}]}"""),
        Encoding.UTF8.GetBytes("""{"messages":[{"role":"user","content":"hi """).Concat(new byte[] { 0xC3, 0x28 }).Concat(Encoding.UTF8.GetBytes("\"}]}")).ToArray(),
    };

    [Theory]
    [MemberData(nameof(InvalidUnicode))]
    public async Task Invalid_utf8_or_a_lone_surrogate_is_a_400_naming_the_problem(byte[] body)
    {
        await using var server = await ServerTestHost.StartAsync(Routes);

        var (status, error) = await PostBytes(server, body);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Matches("not valid (Unicode|JSON)|invalid UTF-8", (string?)error!["message"]);
        Assert.Empty(server.Generator.Prompts);
    }

    [Fact]
    public async Task A_body_over_the_size_limit_is_a_413_with_an_openai_error()
    {
        await using var server = await ServerTestHost.StartAsync(Routes);
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(server.BaseAddress.Host, server.BaseAddress.Port);
        var stream = tcp.GetStream();

        // Announce 50 MB and send the start: the server refuses on its first read, before the rest arrives.
        await stream.WriteAsync(Encoding.ASCII.GetBytes(
            $"POST /v1/chat/completions HTTP/1.1\r\nHost: {server.BaseAddress.Authority}\r\nContent-Type: application/json\r\n" +
            $"Content-Length: {50 * 1024 * 1024}\r\nConnection: close\r\n\r\n{{\"messages\":["));
        var response = await new StreamReader(stream).ReadToEndAsync();

        Assert.StartsWith("HTTP/1.1 413", response);
        var json = response[response.IndexOf('{')..(response.LastIndexOf('}') + 1)];   // the body, without chunk framing
        var error = JsonNode.Parse(json)!["error"]!;
        Assert.Contains("too large", (string?)error["message"], StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("gpt-4o", 404)]
    [InlineData("gpt-oss-test", 200)]
    [InlineData("gpt-oss-scripted", 200)]
    public async Task A_model_the_server_does_not_serve_is_a_404_model_not_found(string model, int expected)
    {
        await using var server = await ServerTestHost.StartAsync(Routes, ServerScripts.WeatherAnswer);

        var (status, body) = await Post(server, $$"""{"model":"{{model}}","messages":[{"role":"user","content":"hi"}]}""");

        Assert.Equal(expected, (int)status);
        if (expected == 404)
        {
            var error = JsonNode.Parse(body)!["error"]!;
            Assert.Equal("model_not_found", (string?)error["code"]);
            Assert.Contains(model, (string?)error["message"]);
        }
    }

    [Fact]
    public async Task Models_lists_the_served_model()
    {
        await using var server = await ServerTestHost.StartAsync(Routes);
        using var http = new HttpClient { BaseAddress = server.BaseAddress };

        var models = JsonNode.Parse(await http.GetStringAsync("v1/models"))!;

        Assert.Equal("list", (string?)models["object"]);
        Assert.Equal("gpt-oss-test", (string?)models["data"]![0]!["id"]);
    }
}

public sealed class ServerHttpTestsOnScript() : ServerHttpTests(GeneratorRoute.Direct);

public sealed class ServerHttpTestsOverVllm() : ServerHttpTests(GeneratorRoute.Vllm);
