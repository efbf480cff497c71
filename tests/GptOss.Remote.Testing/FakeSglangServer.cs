using System.Text.Json.Nodes;
using GptOss.Generation;

namespace GptOss.Remote.Testing;

/// <summary>
/// A fake SGLang: <c>GET /v1/models</c>, and <c>POST /generate</c> streamed with <c>output_ids</c> (cumulative, as
/// SGLang's default, or incremental) and <c>meta_info</c> (<c>finish_reason</c> with <c>matched</c>,
/// <c>prompt_tokens</c>, <c>completion_tokens</c>, <c>cached_tokens</c>), then <c>data: [DONE]</c>.
/// </summary>
public sealed class FakeSglangServer : FakeEngineServer
{
    private FakeSglangServer(ITokenGenerator inner, FakeServerOptions? options) : base(inner, options)
    {
    }

    public static FakeSglangServer Start(ITokenGenerator inner, FakeServerOptions? options = null) => new(inner, options);

    private protected override string GeneratePath => "/generate";

    private protected override async Task AnswerAsync(RecordedRequest request, FakeExchange exchange, CancellationToken cancellationToken)
    {
        if (request is { Method: "GET", Path: "/v1/models" })
        {
            var model = new JsonObject
            {
                ["id"] = Options.ModelName, ["object"] = "model", ["owned_by"] = "sglang", ["root"] = Options.ModelName,
                ["max_model_len"] = Options.ContextLength,
            };
            await exchange.WriteJsonAsync(200, new JsonObject { ["object"] = "list", ["data"] = new JsonArray(model) }, cancellationToken);
            return;
        }
        if (request is not { Method: "POST", Path: "/generate", Body: { } body })
        {
            await exchange.WriteJsonAsync(404, new JsonObject { ["detail"] = "Not Found" }, cancellationToken);
            return;
        }
        if (await TryRejectAsync(exchange, cancellationToken)) return;
        var sampling = body["sampling_params"] as JsonObject ?? [];
        var answer = await GenerateAsync(IntArray(body["input_ids"]), (int?)sampling["max_new_tokens"] ?? 128,
            (float?)sampling["temperature"] ?? 1, (float?)sampling["top_p"] ?? 1, (long?)sampling["sampling_seed"],
            IntArray(sampling["stop_token_ids"]), cancellationToken);
        await StreamAsync(exchange, Events(answer), sendDone: true, cancellationToken);
    }

    private IEnumerable<(int, JsonNode)> Events(InnerAnswer answer)
    {
        var chunks = Chunks(Options.StopIdOnlyInFinishReason && answer.MatchedStop is not null ? answer.Ids[..^1] : answer.Ids).ToList();
        var sent = new List<int>();
        for (var i = 0; i < chunks.Count; i++)
        {
            var last = i == chunks.Count - 1;
            sent.AddRange(chunks[i]);
            var e = new JsonObject
            {
                ["text"] = Text(sent),
                ["meta_info"] = new JsonObject
                {
                    ["id"] = "fake",
                    ["finish_reason"] = !last ? null
                        : answer.Finish == FinishReason.Length ? new JsonObject { ["type"] = "length", ["length"] = answer.Ids.Count }
                        : new JsonObject { ["type"] = "stop", ["matched"] = answer.MatchedStop },
                    ["prompt_tokens"] = answer.PromptTokens,
                    ["completion_tokens"] = sent.Count,
                    ["cached_tokens"] = answer.CachedPromptTokens,
                },
            };
            if (!Options.OmitTokenIds) e["output_ids"] = JsonIds(Options.IncrementalOutputIds ? chunks[i] : sent);
            yield return (chunks[i].Length, e);
        }
    }
}
