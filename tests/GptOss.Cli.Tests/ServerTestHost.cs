using GptOss.Remote.Testing;
using GptOss.Generation;
using GptOss.Cli.Server;
using GptOss.Engine;
using GptOss.SemanticKernel;
using GptOss.Tools;
using Microsoft.AspNetCore.Builder;

namespace GptOss.Cli.Tests;

/// <summary>`gptoss serve` in-process on a free 127.0.0.1 port, answering from harmony scripts.</summary>
internal sealed class ServerTestHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ServerTestHost(WebApplication app, ScriptedTokenGenerator generator)
    {
        _app = app;
        Generator = generator;
        BaseAddress = new Uri(app.Urls.Single().TrimEnd('/') + "/");
    }

    public ScriptedTokenGenerator Generator { get; }

    public Uri BaseAddress { get; }

    public Uri V1 => new(BaseAddress, "v1");

    /// <summary>Serves <paramref name="scripts"/> through the route of <paramref name="routes"/> (directly, or over a fake vLLM).</summary>
    public static Task<ServerTestHost> StartAsync(GeneratorRoutes routes, params string[] scripts) => StartAsync(routes, null, scripts);

    /// <summary>The same, with <paramref name="hostedTools"/> running the hosted tools (code interpreter, web search).</summary>
    public static async Task<ServerTestHost> StartAsync(GeneratorRoutes routes, IToolExecutorFactory? hostedTools, params string[] scripts)
    {
        var generator = ScriptedTokenGenerator.FromHarmony(scripts);
        var model = routes.Through(generator);
        var client = new GptOssChatClient(new HarmonyChatPipeline(model), new GptOssOptions { ModelId = "gpt-oss-test", IncludeCurrentDate = false },
            hostedTools: hostedTools);
        var app = OpenAiServer.Create(["http://127.0.0.1:0"], client, new ServedModel("gpt-oss-test", model.Model, routes.Route.ToString(), DateTimeOffset.UtcNow));
        await app.StartAsync();
        return new ServerTestHost(app, generator);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>gpt-oss style completions for the server tests.</summary>
internal static class ServerScripts
{
    public const string WeatherCall =
        "<|channel|>analysis<|message|>Need the weather; call get_weather.<|end|>" +
        "<|start|>assistant<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{\"city\": \"Paris\"}<|call|>";

    public const string WeatherAnswer =
        "<|channel|>analysis<|message|>18 degrees, answer.<|end|>" +
        "<|start|>assistant<|channel|>final<|message|>It is 18°C in Paris.<|return|>";

    public const string WeatherSchema = """{"type":"object","properties":{"city":{"type":"string","description":"City name"}},"required":["city"]}""";
}
