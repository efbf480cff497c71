using System.Text.Json.Nodes;
using GptOss.Generation;
using GptOss.Testing;

namespace GptOss.Remote.Tests;

/// <summary>Each engine's request states the prompt ids and the whole sampling, as the fake received it.</summary>
public sealed class RequestShapeTests : RemoteTestBase
{
    private static readonly GenerationOptions Sampling = new()
    {
        MaxNewTokens = 77, Temperature = 0.25f, TopP = 0.5f, Seed = 1234, StopTokens = new HashSet<int> { 200007 },
    };

    [Fact]
    public async Task VllmCompletionsCarriesIdsSamplingStopIdsAndStreamingWithUsage()
    {
        await using var server = StartFake(Engine.Vllm, HarmonyScripts.WeatherCall);
        await CollectAsync(Client(Engine.Vllm, server.Endpoint), Prompt, Sampling);

        var body = Assert.Single(server.Generations);
        Assert.Equal("openai/gpt-oss-20b", (string?)body["model"]);
        Assert.Equal(Prompt, Ids(body["prompt"]));
        Assert.Equal(77, (int?)body["max_tokens"]);
        Assert.Equal(0.25f, (float?)body["temperature"]);
        Assert.Equal(0.5f, (float?)body["top_p"]);
        Assert.Equal(1234, (long?)body["seed"]);
        Assert.Equal(-1, (int?)body["top_k"]);
        Assert.Equal(0f, (float?)body["min_p"]);
        Assert.Equal([200002, 200012, 200007], Ids(body["stop_token_ids"]));
        Assert.False((bool?)body["skip_special_tokens"]);
        Assert.True((bool?)body["return_token_ids"]);
        Assert.True((bool?)body["stream"]);
        Assert.True((bool?)body["stream_options"]?["include_usage"]);
        Assert.Equal(["GET /v1/models", "POST /v1/completions"], server.Requests.Select(r => $"{r.Method} {r.Path}"));
    }

    [Fact]
    public async Task SglangGenerateCarriesInputIdsAndFullSamplingParams()
    {
        await using var server = StartFake(Engine.Sglang, HarmonyScripts.WeatherCall);
        await CollectAsync(Client(Engine.Sglang, server.Endpoint), Prompt, Sampling);

        var body = Assert.Single(server.Generations);
        Assert.Equal(Prompt, Ids(body["input_ids"]));
        Assert.True((bool?)body["stream"]);
        var sampling = Assert.IsType<JsonObject>(body["sampling_params"]);
        Assert.Equal(77, (int?)sampling["max_new_tokens"]);
        Assert.Equal(0.25f, (float?)sampling["temperature"]);
        Assert.Equal(0.5f, (float?)sampling["top_p"]);
        Assert.Equal(-1, (int?)sampling["top_k"]);
        Assert.Equal(0f, (float?)sampling["min_p"]);
        Assert.Equal(1234, (long?)sampling["sampling_seed"]);
        Assert.Equal([200002, 200012, 200007], Ids(sampling["stop_token_ids"]));
        Assert.False((bool?)sampling["skip_special_tokens"]);
        Assert.True((bool?)sampling["no_stop_trim"]);
    }

    [Theory]
    [InlineData(Engine.LlamaCpp, false)]
    [InlineData(Engine.LlamaCppStreaming, true)]
    public async Task LlamaCppCompletionCarriesIdsTheWholeSamplingAndCachePrompt(Engine engine, bool streamed)
    {
        await using var server = StartFake(engine, HarmonyScripts.WeatherCall);
        await CollectAsync(Client(engine, server.Endpoint), Prompt, Sampling);

        var body = Assert.Single(server.Generations);
        Assert.Equal(Prompt, Ids(body["prompt"]));
        Assert.Equal(77, (int?)body["n_predict"]);
        Assert.Equal(0.25f, (float?)body["temperature"]);
        Assert.Equal(0.5f, (float?)body["top_p"]);
        Assert.Equal(0, (int?)body["top_k"]);
        Assert.Equal(0f, (float?)body["min_p"]);
        Assert.Equal(1234, (long?)body["seed"]);
        Assert.True((bool?)body["cache_prompt"]);
        Assert.True((bool?)body["return_tokens"]);
        Assert.Equal(streamed, (bool?)body["stream"]);
    }

    [Theory]
    [MemberData(nameof(AllEngines))]
    public async Task WithoutASeedNoneIsSent(Engine engine)
    {
        await using var server = StartFake(engine, HarmonyScripts.WeatherCall);
        await CollectAsync(Client(engine, server.Endpoint), Prompt);
        var body = Assert.Single(server.Generations);
        Assert.Null((body["sampling_params"] as JsonObject ?? body)["seed"] ?? (body["sampling_params"] as JsonObject)?["sampling_seed"]);
    }

    [Theory]
    [MemberData(nameof(AllEngines))]
    public async Task TheApiKeyIsSentAsABearerTokenOnEveryRequest(Engine engine)
    {
        await using var server = StartFake(engine, HarmonyScripts.WeatherCall);
        await CollectAsync(Client(engine, server.Endpoint, o => o.ApiKey = "s3cret"), Prompt);
        Assert.Equal(2, server.Requests.Count);
        Assert.All(server.Requests, r => Assert.Equal("Bearer s3cret", r.Headers["authorization"]));
    }

    [Theory]
    [MemberData(nameof(AllEngines))]
    public async Task WithoutAnApiKeyNoAuthorizationIsSent(Engine engine)
    {
        await using var server = StartFake(engine, HarmonyScripts.WeatherCall);
        await CollectAsync(Client(engine, server.Endpoint, o => o.ApiKey = null), Prompt);
        Assert.All(server.Requests, r => Assert.False(r.Headers.ContainsKey("authorization")));
    }

    internal static int[] Ids(JsonNode? node) => Assert.IsType<JsonArray>(node).Select(n => (int)n!).ToArray();
}
