using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using GptOss.Cli.Server;
using GptOss.Generation;
using GptOss.SemanticKernel;

namespace GptOss.Cli.Tests;

/// <summary>A backend whose queue is full: both doors answer 503 with Retry-After and an OpenAI error body, streaming or not.</summary>
public sealed class ServerQueueFullTests
{
    [Theory]
    [InlineData("v1/chat/completions", false)]
    [InlineData("v1/chat/completions", true)]
    [InlineData("v1/responses", false)]
    [InlineData("v1/responses", true)]
    public async Task AFullQueueIsA503WithRetryAfter(string door, bool stream)
    {
        var generator = new FullQueueGenerator();
        var client = new GptOssChatClient(new HarmonyChatPipeline(generator), new GptOssOptions { ModelId = "gpt-oss-test", IncludeCurrentDate = false });
        await using var app = OpenAiServer.Create(["http://127.0.0.1:0"], client, new ServedModel("gpt-oss-test", generator.Model, "Local", DateTimeOffset.UtcNow));
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.Single().TrimEnd('/') + "/") };
        string input = door == "v1/responses" ? "\"input\":\"Hi\"" : "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]";
        string body = $$"""{"model":"gpt-oss-test","stream":{{(stream ? "true" : "false")}},{{input}}}""";

        using var response = await http.PostAsync(door, new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(2), response.Headers.RetryAfter?.Delta);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!;
        Assert.Equal(FullQueueGenerator.Message, (string?)error["message"]);
        Assert.Equal("server_error", (string?)error["type"]);
        await app.StopAsync();
    }

    /// <summary>Refuses every call as an engine with every slot busy and a full queue does.</summary>
    private sealed class FullQueueGenerator : ITokenGenerator
    {
        public const string Message = "the engine is busy: 1 sequence slot(s) in use and 0 call(s) queued";

        public ModelDescriptor Model { get; } = new("gpt-oss-test", 201088, 4096);

        /// <summary>Throws on the first MoveNextAsync, where the engine refuses.</summary>
        public async IAsyncEnumerable<GeneratedToken> GenerateAsync(IReadOnlyList<int> prompt, GenerationOptions options,
            [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await Task.Yield();
            if (prompt.Count > 0) throw new GenerationQueueFullException(Message, TimeSpan.FromSeconds(1.5));
            yield break;
        }
    }
}
