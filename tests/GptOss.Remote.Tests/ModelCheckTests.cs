using GptOss.Generation;
using GptOss.Remote.Testing;
using GptOss.Testing;

namespace GptOss.Remote.Tests;

/// <summary>The served model is checked once, and describes itself from the server's own figures.</summary>
public sealed class ModelCheckTests : RemoteTestBase
{
    [Theory]
    [InlineData(Engine.Vllm)]
    [InlineData(Engine.Sglang)]
    public async Task AModelNameTheServerDoesNotServeIsAClearErrorListingTheServedNames(Engine engine)
    {
        await using var server = StartFake(engine, HarmonyScripts.WeatherCall, new FakeServerOptions { ModelName = "gpt-oss-120b" });
        var client = Client(engine, server.Endpoint, o => o.Model = "gpt-oss-20b");
        var error = await Assert.ThrowsAsync<RemoteBackendException>(() => CollectAsync(client, Prompt));
        Assert.Equal($"{TokenStreamTests.EngineName(engine)} at {server.Endpoint}: serves no model named 'gpt-oss-20b' (GptOss:Backend:Model); it serves: gpt-oss-120b", error.Message);
        Assert.Empty(server.Generations);
    }

    [Theory]
    [InlineData(Engine.Vllm)]
    [InlineData(Engine.Sglang)]
    public async Task TheDescriptorIsTheServedModelWithItsContextLength(Engine engine)
    {
        await using var server = StartFake(engine, HarmonyScripts.WeatherCall, new FakeServerOptions { ModelName = "gpt-oss-120b", ContextLength = 32768 });
        var client = Client(engine, server.Endpoint, o => o.Model = "gpt-oss-120b");
        Assert.Equal(new ModelDescriptor("gpt-oss-120b", 201_088, 32768), client.Model);
        await CollectAsync(client, Prompt);
        Assert.Single(server.Requests, r => r.Path == "/v1/models");   // checked once
    }

    [Fact]
    public async Task LlamaCppReportsItsContextAndTheConfiguredName()
    {
        await using var server = StartFake(Engine.LlamaCpp, HarmonyScripts.WeatherCall, new FakeServerOptions { ContextLength = 8192 });
        Assert.Equal(new ModelDescriptor("openai/gpt-oss-20b", 201_088, 8192), Client(Engine.LlamaCpp, server.Endpoint).Model);
        Assert.Equal("mine", Client(Engine.LlamaCpp, server.Endpoint, o => o.Model = "mine").Model.Name);
    }

    [Fact]
    public async Task LlamaCppServingAnotherVocabularyIsAClearError()
    {
        await using var server = StartFake(Engine.LlamaCpp, HarmonyScripts.WeatherCall, new FakeServerOptions { VocabularySize = 32000, ModelName = "llama-7b" });
        var error = await Assert.ThrowsAsync<RemoteBackendException>(() => CollectAsync(Client(Engine.LlamaCpp, server.Endpoint), Prompt));
        Assert.Equal($"llama.cpp at {server.Endpoint}: serves llama-7b with a vocabulary of 32000; gpt-oss needs o200k_harmony's 201088 tokens", error.Message);
    }

    [Theory]
    [MemberData(nameof(AllEngines))]
    public async Task AFailedCheckIsTriedAgainOnTheNextCall(Engine engine)
    {
        await using var server = StartFake(engine, HarmonyScripts.WeatherCall, new FakeServerOptions { TransientFailures = 3 });
        var client = Client(engine, server.Endpoint);
        await Assert.ThrowsAsync<RemoteBackendException>(() => CollectAsync(client, Prompt));
        var tokens = await CollectAsync(client, Prompt);
        Assert.Equal(Encode(HarmonyScripts.WeatherCall), tokens.Select(t => t.Id));
    }

    [Theory]
    [InlineData(null, "GptOss:Backend:Endpoint is required for Kind Vllm: the vLLM server's base URL, e.g. http://gpu-box:8000")]
    [InlineData(" ", "GptOss:Backend:Endpoint is required for Kind Vllm: the vLLM server's base URL, e.g. http://gpu-box:8000")]
    [InlineData("gpu-box:8000", "GptOss:Backend:Endpoint must be an absolute http(s) URL, not 'gpu-box:8000'")]
    public void AMissingOrBadEndpointNamesTheSetting(string? endpoint, string message)
    {
        var error = Assert.Throws<InvalidOperationException>(() => new VllmTokenGenerator(new GenerationBackendOptions { Endpoint = endpoint }));
        Assert.Equal(message, error.Message);
    }
}
