using System.ClientModel;
using GptOss.Engine.Checkpoints;
using GptOss.Generation;
using GptOss.Harmony;
using OpenAI.Responses;

namespace GptOss.Cli.Tests;

/// <summary>`gptoss serve --model` on the in-process engine (a script checkpoint): continuing a stored response reuses the engine's KV cache.</summary>
public sealed class ServerResponsesEngineTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gptoss-responses-engine-").FullName;

    [Fact]
    public async Task Continuing_a_stored_response_on_the_engine_reports_cached_input_tokens()
    {
        // Every prompt ends with <|start|>assistant, after which this bigram checkpoint answers "Paris".
        var after = HarmonyChatPipeline.RenderPrompt([Message.FromRole(Role.User, "x")])[^1];
        ScriptCheckpoint.Write(_dir, after, HarmonyTokenizer.Shared.Encode("<|channel|>final<|message|>Paris<|return|>", allowSpecial: true));
        await using var serve = await RunningServe.StartAsync("--model", _dir);
        var model = (string)System.Text.Json.Nodes.JsonNode.Parse(await serve.Http.GetStringAsync("v1/models"))!["data"]![0]!["id"]!;
        var client = new ResponsesClient(new ApiKeyCredential("unused"), new ResponsesClientOptions { Endpoint = new Uri(serve.Address + "/v1") });

        ResponseResult first = await client.CreateResponseAsync(
            new CreateResponseOptions(model, [ResponseItem.CreateUserMessageItem("What is the capital of France?")]) { Instructions = "Answer in one word." });
        ResponseResult second = await client.CreateResponseAsync(
            new CreateResponseOptions(model, [ResponseItem.CreateUserMessageItem("Sure?")]) { PreviousResponseId = first.Id, Instructions = "Answer in one word." });

        Assert.Equal("Paris", first.GetOutputText());
        Assert.Equal("Paris", second.GetOutputText());
        Assert.Equal(0, first.Usage.InputTokenDetails.CachedTokenCount);
        // Everything up to the first answer was in the cache: the system and developer messages, the question, the answer.
        Assert.True(second.Usage.InputTokenDetails.CachedTokenCount > first.Usage.InputTokenCount,
            $"cached {second.Usage.InputTokenDetails.CachedTokenCount} of {second.Usage.InputTokenCount}; the first prompt was {first.Usage.InputTokenCount}");
        Assert.Equal(5, second.Usage.OutputTokenCount);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
