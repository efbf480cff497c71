using System.Text.Json.Nodes;
using GptOss.Generation;

namespace GptOss.Remote.Testing;

/// <summary>
/// A fake vLLM: <c>GET /v1/models</c>, and <c>POST /v1/completions</c> streamed with <c>choices[0].token_ids</c>,
/// <c>finish_reason</c>/<c>stop_reason</c>, the usage chunk (<c>prompt_tokens_details.cached_tokens</c> = the inner
/// generator's cached prompt tokens) and <c>data: [DONE]</c>. A model name it does not serve gets vLLM's 404.
/// </summary>
public sealed class FakeVllmServer : FakeEngineServer
{
    private FakeVllmServer(ITokenGenerator inner, FakeServerOptions? options) : base(inner, options)
    {
    }

    public static FakeVllmServer Start(ITokenGenerator inner, FakeServerOptions? options = null) => new(inner, options);

    private protected override string GeneratePath => "/v1/completions";

    private protected override async Task AnswerAsync(RecordedRequest request, FakeExchange exchange, CancellationToken cancellationToken)
    {
        if (request is { Method: "GET", Path: "/v1/models" })
        {
            var model = new JsonObject
            {
                ["id"] = Options.ModelName, ["object"] = "model", ["owned_by"] = "vllm", ["root"] = Options.ModelName,
                ["max_model_len"] = Options.ContextLength,
            };
            await exchange.WriteJsonAsync(200, new JsonObject { ["object"] = "list", ["data"] = new JsonArray(model) }, cancellationToken);
            return;
        }
        if (request is not { Method: "POST", Path: "/v1/completions", Body: { } body })
        {
            await exchange.WriteJsonAsync(404, new JsonObject { ["detail"] = "Not Found" }, cancellationToken);
            return;
        }
        if (await TryRejectAsync(exchange, cancellationToken)) return;
        if ((string?)body["model"] is { } name && name != Options.ModelName)
        {
            await exchange.WriteJsonAsync(404, new JsonObject
            {
                ["object"] = "error", ["message"] = $"The model `{name}` does not exist.", ["type"] = "NotFoundError", ["code"] = 404,
            }, cancellationToken);
            return;
        }
        var answer = await GenerateAsync(IntArray(body["prompt"]), (int?)body["max_tokens"] ?? 16, (float?)body["temperature"] ?? 1,
            (float?)body["top_p"] ?? 1, (long?)body["seed"], IntArray(body["stop_token_ids"]), cancellationToken);
        var usage = (bool?)body["stream_options"]?["include_usage"] == true;
        await StreamAsync(exchange, Events(answer, usage), sendDone: true, cancellationToken);
    }

    private IEnumerable<(int, JsonNode)> Events(InnerAnswer answer, bool usage)
    {
        var chunks = Chunks(Options.StopIdOnlyInFinishReason && answer.MatchedStop is not null ? answer.Ids[..^1] : answer.Ids).ToList();
        for (var i = 0; i < chunks.Count; i++)
        {
            var last = i == chunks.Count - 1;
            var choice = new JsonObject
            {
                ["index"] = 0,
                ["text"] = Text(chunks[i]),
                ["logprobs"] = null,
                ["finish_reason"] = last ? (answer.Finish == FinishReason.Length ? "length" : "stop") : null,
                ["stop_reason"] = last ? answer.MatchedStop : null,
            };
            if (!Options.OmitTokenIds) choice["token_ids"] = JsonIds(chunks[i]);
            yield return (chunks[i].Length, Chunk(new JsonArray(choice), null));
        }
        if (usage)
        {
            yield return (0, Chunk([], new JsonObject
            {
                ["prompt_tokens"] = answer.PromptTokens,
                ["completion_tokens"] = answer.Ids.Count,
                ["total_tokens"] = answer.PromptTokens + answer.Ids.Count,
                ["prompt_tokens_details"] = new JsonObject { ["cached_tokens"] = answer.CachedPromptTokens },
            }));
        }
    }

    private JsonObject Chunk(JsonArray choices, JsonObject? usage) => new()
    {
        ["id"] = "cmpl-fake", ["object"] = "text_completion", ["created"] = 0, ["model"] = Options.ModelName,
        ["choices"] = choices, ["usage"] = usage,
    };
}
