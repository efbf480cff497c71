using GptOss.Generation;
using GptOss.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace GptOss.Remote.Tests;

/// <summary><c>GptOss:Backend:Kind</c> picks a remote engine, registered by the extension or found by the assembly attribute.</summary>
public sealed class BackendRegistrationTests : RemoteTestBase
{
    [Theory]
    [InlineData(Engine.Vllm, typeof(VllmTokenGenerator), true)]
    [InlineData(Engine.Sglang, typeof(SglangTokenGenerator), true)]
    [InlineData(Engine.LlamaCpp, typeof(LlamaCppTokenGenerator), true)]
    [InlineData(Engine.Vllm, typeof(VllmTokenGenerator), false)]
    [InlineData(Engine.LlamaCpp, typeof(LlamaCppTokenGenerator), false)]
    public async Task TheConfiguredKindRunsThroughTheServer(Engine engine, Type generatorType, bool registered)
    {
        await using var server = StartFake(engine, HarmonyScripts.WeatherCall);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["GptOss:Backend:Kind"] = engine.ToString().ToLowerInvariant(),
            ["GptOss:Backend:Endpoint"] = server.Endpoint,
            ["GptOss:Backend:ApiKey"] = "key-1",
        }).Build();
        var services = new ServiceCollection().AddGptOssGenerator(configuration);
        if (registered) services.AddGptOssRemoteBackends();
        await using var provider = services.BuildServiceProvider();

        var generator = provider.GetRequiredService<ITokenGenerator>();
        Assert.IsType(generatorType, generator);
        var tokens = await CollectAsync(generator, Prompt);
        Assert.Equal(Encode(HarmonyScripts.WeatherCall), tokens.Select(t => t.Id));
        Assert.All(server.Requests, r => Assert.Equal("Bearer key-1", r.Headers["authorization"]));
    }
}
