using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using GptOss.Generation;
using GptOss.Remote.Generation;
using GptOss.Remote.Http;

namespace GptOss.Remote;

/// <summary>
/// gpt-oss on a vLLM server, in token ids: <c>POST /v1/completions</c> with the prompt as ids, <c>return_token_ids</c>
/// (vLLM ≥ 0.10.2) and streaming. The served model is checked against <c>GET /v1/models</c> on first use.
/// </summary>
public sealed class VllmTokenGenerator : RemoteTokenGenerator
{
    internal static readonly RemoteEngine Engine = new(
        "vLLM", BackendKinds.Vllm, "is return_token_ids supported? vLLM ≥ 0.10.2");

    private const string CompletionsPath = "v1/completions";


    /// <summary>A generator for the server at <see cref="GenerationBackendOptions.Endpoint"/>.</summary>
    /// <param name="options">Endpoint, served model name (default: the first served), API key, timeout.</param>
    /// <param name="httpClient">The client to send with (default: one of its own, disposed with the generator).</param>
    public VllmTokenGenerator(GenerationBackendOptions options, HttpClient? httpClient = null)
        : this(options, httpClient, null)
    {
    }

    internal VllmTokenGenerator(GenerationBackendOptions options, HttpClient? httpClient, RemoteRetryOptions? retry)
        : base(Engine, options, httpClient, retry)
    {
    }

    private protected override async IAsyncEnumerable<RemoteChunk> AnswerAsync(
        IReadOnlyList<int> prompt, GenerationOptions options, IReadOnlyList<int> stopTokens, ModelDescriptor model,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var body = new JsonObject
        {
            ["model"] = model.Name,
            ["prompt"] = TokenIdArrays.ToJson(prompt),
            ["max_tokens"] = SamplingFields.MaxNewTokens(options),
            ["temperature"] = options.Temperature,
            ["top_p"] = options.TopP,
            ["top_k"] = SamplingFields.TopKOff,
            ["min_p"] = SamplingFields.MinPOff,
            ["stop_token_ids"] = TokenIdArrays.ToJson(stopTokens),
            ["skip_special_tokens"] = false,
            ["return_token_ids"] = true,
            ["stream"] = true,
            ["stream_options"] = new JsonObject { ["include_usage"] = true },
        };
        if (options.Seed is { } seed) body["seed"] = seed;

        using var response = await Endpoint.PostJsonAsync(CompletionsPath, body, cancellationToken).ConfigureAwait(false);
        int? lastId = null;
        await foreach (var e in AnswerJson.ReadEventsAsync(Endpoint, response, cancellationToken).ConfigureAwait(false))
        {
            var cached = ServedModels.Int(e["usage"]?["prompt_tokens_details"]?["cached_tokens"]);
            if (e["choices"] is not JsonArray { Count: > 0 } choices || choices[0] is not JsonObject choice)
            {
                yield return new RemoteChunk([], CachedPromptTokens: cached);   // the usage chunk
                continue;
            }
            var finish = Finish(choice["finish_reason"]);
            if (choice["token_ids"] is not JsonArray tokenIds)
            {
                // A final chunk may carry no delta; any text without ids means the server ignores return_token_ids.
                if (finish is null || (string?)choice["text"] is { Length: > 0 }) throw Endpoint.MissingTokenIds();
                yield return new RemoteChunk([], finish, cached);
                continue;
            }
            var ids = TokenIdArrays.Read(Endpoint, tokenIds, "token_ids");
            if (ids.Count > 0) lastId = ids[^1];
            // A stop id vLLM names in stop_reason but left out of token_ids: the contract yields the stop token last.
            if (finish == FinishReason.Stop && ServedModels.Int(choice["stop_reason"]) is { } stop && stop != lastId)
                ids = [.. ids, stop];
            yield return new RemoteChunk(ids, finish, cached);
        }
    }

    private FinishReason? Finish(JsonNode? reason) => (string?)reason switch
    {
        null => null,
        "stop" => FinishReason.Stop,
        "length" => FinishReason.Length,
        var other => throw Endpoint.Error($"the answer ended with finish_reason '{other}'"),
    };

}
