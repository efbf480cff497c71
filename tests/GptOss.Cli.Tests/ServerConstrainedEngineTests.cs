using System.ClientModel;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using GptOss.Cli.Hosting;
using GptOss.Cli.Server;
using GptOss.Engine;
using GptOss.Engine.Checkpoints;
using GptOss.Generation;
using GptOss.SemanticKernel;
using GptOss.Testing;
using Json.Schema;
using Microsoft.AspNetCore.Builder;
using OpenAI;
using OpenAI.Chat;

namespace GptOss.Cli.Tests;

/// <summary>
/// `gptoss serve` on the real engine over a tiny random checkpoint with the real vocabulary: its free output is garbage,
/// so every valid answer below is the constraint's doing. Checked with JsonSchema.Net and the OpenAI .NET SDK.
/// </summary>
public sealed class ServerConstrainedEngineTests : IAsyncLifetime
{
    /// <summary>Random schemas per run: enough to cover the generator's shapes within the suite's time; GPTOSS_SCHEMA_COUNT=1000 runs the full count by hand.</summary>
    private static readonly int SchemaCount = int.TryParse(Environment.GetEnvironmentVariable("GPTOSS_SCHEMA_COUNT"), out var n) ? n : 12;

    private const string PersonSchema =
        """{"type":"object","properties":{"name":{"type":"string","maxLength":12},"age":{"type":"integer","minimum":0,"maximum":120}},"required":["name","age"],"additionalProperties":false}""";

    private const string WeatherSchema = """{"type":"object","properties":{"city":{"type":"string","maxLength":10}},"required":["city"],"additionalProperties":false}""";

    private readonly string _dir = Directory.CreateTempSubdirectory("gptoss-constrained-serve-").FullName;
    private GptOssEngine? _engine;
    private WebApplication? _app;
    private Uri _base = null!;

    public async Task InitializeAsync()
    {
        RandomCheckpoint.Write(_dir, new RandomCheckpointOptions { Seed = 11, Vocab = 201_088 });
        _engine = EngineLoader.Load(_dir, "f32", 2, 4096);
        var client = new GptOssChatClient(new HarmonyChatPipeline(_engine), new GptOssOptions { ModelId = "gpt-oss-test", IncludeCurrentDate = false });
        _app = OpenAiServer.Create(["http://127.0.0.1:0"], client, new ServedModel("gpt-oss-test", _engine.Model, "engine", DateTimeOffset.UtcNow));
        await _app.StartAsync();
        _base = new Uri(_app.Urls.Single().TrimEnd('/') + "/");
    }

    public async Task DisposeAsync()
    {
        if (_app is not null) await _app.DisposeAsync();
        _engine?.Dispose();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private ChatClient Chat() => new("gpt-oss-test", new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = new Uri(_base, "v1") });

    private static ChatCompletionOptions Options() => new() { MaxOutputTokenCount = 160, Temperature = 1f };

    [Fact]
    public async Task The_openai_sdks_json_schema_format_gives_a_valid_answer()
    {
        var options = Options();
        options.ResponseFormat = ChatResponseFormat.CreateJsonSchemaFormat("person", BinaryData.FromString(PersonSchema), jsonSchemaIsStrict: true);

        ChatCompletion answer = await Chat().CompleteChatAsync([new UserChatMessage("Who?")], options);

        Assert.Equal(OpenAI.Chat.ChatFinishReason.Stop, answer.FinishReason);
        AssertValid(PersonSchema, answer.Content.Single().Text);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_openai_sdks_required_or_named_tool_choice_gives_a_valid_call(bool named)
    {
        var options = Options();
        options.Tools.Add(ChatTool.CreateFunctionTool("get_weather", "Weather in a city.", BinaryData.FromString(WeatherSchema)));
        options.Tools.Add(ChatTool.CreateFunctionTool("get_time", "The time.", BinaryData.FromString("""{"type":"object","properties":{}}""")));
        options.ToolChoice = named ? ChatToolChoice.CreateFunctionChoice("get_weather") : ChatToolChoice.CreateRequiredChoice();

        ChatCompletion answer = await Chat().CompleteChatAsync([new UserChatMessage("Weather?")], options);

        Assert.Equal(OpenAI.Chat.ChatFinishReason.ToolCalls, answer.FinishReason);
        var call = Assert.Single(answer.ToolCalls);
        if (named) Assert.Equal("get_weather", call.FunctionName);
        AssertValid(call.FunctionName == "get_weather" ? WeatherSchema : """{"type":"object","properties":{}}""", call.FunctionArguments.ToString());
    }

    [Fact]
    public async Task Random_schemas_through_the_server_give_valid_answers_even_streamed()
    {
        var schemas = new RandomJsonSchemas(seed: 23);
        using var http = new HttpClient { BaseAddress = _base, Timeout = TimeSpan.FromMinutes(5) };
        for (var i = 0; i < SchemaCount; i++)
        {
            var schema = schemas.Next().ToJsonString();
            var stream = i % 3 == 0;
            var body = $$$"""
                {"messages":[{"role":"user","content":"Answer."}],"max_tokens":1000,"max_reasoning_tokens":{{{i % 5 * 8 + 1}}},"seed":{{{i}}},"stream":{{{(stream ? "true" : "false")}}},
                 "response_format":{"type":"json_schema","json_schema":{"name":"s{{{i}}}","schema":{{{schema}}}} }}
                """;
            using var response = await http.PostAsync("v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"));
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"schema #{i}: {text}");
            AssertValid(schema, stream ? StreamedContent(text) : (string)JsonNode.Parse(text)!["choices"]![0]!["message"]!["content"]!, $"schema #{i}");
        }
    }

    [Fact]
    public async Task A_schema_the_constraint_cannot_enforce_is_a_400_naming_the_keyword()
    {
        using var http = new HttpClient { BaseAddress = _base };
        using var response = await http.PostAsync("v1/chat/completions", new StringContent("""
            {"messages":[{"role":"user","content":"hi"}],"response_format":{"type":"json_schema","json_schema":{"name":"x","schema":{"type":"string","not":{}}}}}
            """, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("'not'", (string?)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!["message"]);
    }

    private static string StreamedContent(string events) => string.Concat(events.Split('\n')
        .Where(l => l.StartsWith("data: {", StringComparison.Ordinal))
        .Select(l => JsonNode.Parse(l["data: ".Length..])!["choices"]?.AsArray().FirstOrDefault()?["delta"]?["content"]?.GetValue<string>() ?? ""));

    private static void AssertValid(string schema, string json, string context = "")
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            Assert.Fail($"{context} not JSON ({e.Message}): {json}");
            return;
        }
        using (document)
        {
            var result = JsonSchema.FromText(schema).Evaluate(document.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
            Assert.True(result.IsValid, $"{context} invalid against {schema}: {json}");
        }
    }
}
