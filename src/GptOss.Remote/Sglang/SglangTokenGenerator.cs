using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using GptOss.Generation;
using GptOss.Remote.Generation;
using GptOss.Remote.Http;

namespace GptOss.Remote;

/// <summary>
/// gpt-oss on an SGLang server, in token ids: <c>POST /generate</c> with <c>input_ids</c>, streamed; the ids come from
/// <c>output_ids</c> (cumulative by default, incremental with <c>--incremental-streaming-output</c>: both are read).
/// The served model is checked against <c>GET /v1/models</c> on first use.
/// </summary>
public sealed class SglangTokenGenerator : RemoteTokenGenerator
{
    internal static readonly RemoteEngine Engine = new(
        "SGLang", BackendKinds.Sglang, "SGLang's native /generate reports output_ids: is this an SGLang server?");

    private const string GeneratePath = "generate";


    /// <summary>A generator for the server at <see cref="GenerationBackendOptions.Endpoint"/>.</summary>
    /// <param name="options">Endpoint, served model name (default: the first served), API key, timeout.</param>
    /// <param name="httpClient">The client to send with (default: one of its own, disposed with the generator).</param>
    public SglangTokenGenerator(GenerationBackendOptions options, HttpClient? httpClient = null)
        : this(options, httpClient, null)
    {
    }

    internal SglangTokenGenerator(GenerationBackendOptions options, HttpClient? httpClient, RemoteRetryOptions? retry)
        : base(Engine, options, httpClient, retry)
    {
    }

    private protected override async IAsyncEnumerable<RemoteChunk> AnswerAsync(
        IReadOnlyList<int> prompt, GenerationOptions options, IReadOnlyList<int> stopTokens, ModelDescriptor model,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var sampling = new JsonObject
        {
            ["temperature"] = options.Temperature,
            ["top_p"] = options.TopP,
            ["top_k"] = SamplingFields.TopKOff,
            ["min_p"] = SamplingFields.MinPOff,
            ["max_new_tokens"] = SamplingFields.MaxNewTokens(options),
            ["stop_token_ids"] = TokenIdArrays.ToJson(stopTokens),
            ["skip_special_tokens"] = false,
            ["no_stop_trim"] = true,   // keep the stop id in output_ids
        };
        if (options.Seed is { } seed) sampling["sampling_seed"] = seed;
        var body = new JsonObject
        {
            ["input_ids"] = TokenIdArrays.ToJson(prompt),
            ["sampling_params"] = sampling,
            ["stream"] = true,
        };

        using var response = await Endpoint.PostJsonAsync(GeneratePath, body, cancellationToken).ConfigureAwait(false);
        var received = new List<int>();
        await foreach (var e in AnswerJson.ReadEventsAsync(Endpoint, response, cancellationToken).ConfigureAwait(false))
        {
            var meta = e["meta_info"] as JsonObject;
            if (e["output_ids"] is not JsonArray outputIds) throw Endpoint.MissingTokenIds();
            var ids = NewIds(TokenIdArrays.Read(Endpoint, outputIds, "output_ids"), received, ServedModels.Int(meta?["completion_tokens"]));
            received.AddRange(ids);
            var (finish, matched) = Finish(meta?["finish_reason"]);
            // A matched stop id trimmed from output_ids: the contract yields the stop token last.
            if (matched is { } stop && (received.Count == 0 || received[^1] != stop))
            {
                ids = [.. ids, stop];
                received.Add(stop);
            }
            yield return new RemoteChunk(ids, finish, ServedModels.Int(meta?["cached_tokens"]));
        }
    }

    /// <summary>
    /// The ids an event adds. SGLang streams <c>output_ids</c> cumulatively by default and incrementally with
    /// <c>--incremental-streaming-output</c>; <c>completion_tokens</c> (the running total) tells them apart, the prefix
    /// already received otherwise.
    /// </summary>
    internal static List<int> NewIds(List<int> outputIds, IReadOnlyList<int> received, int? completionTokens)
    {
        if (received.Count == 0) return outputIds;
        if (completionTokens is { } total && received.Count + outputIds.Count == total && outputIds.Count != total) return outputIds;
        var cumulative = outputIds.Count >= received.Count && outputIds.Take(received.Count).SequenceEqual(received);
        return cumulative ? outputIds[received.Count..] : outputIds;
    }

    private (FinishReason?, int?) Finish(JsonNode? reason)
    {
        if (reason is not JsonObject o) return (null, null);
        return (string?)o["type"] switch
        {
            "stop" => (FinishReason.Stop, ServedModels.Int(o["matched"])),
            "length" => (FinishReason.Length, null),
            var other => throw Endpoint.Error(
                $"the answer ended with finish_reason '{other}'{(o["message"] is JsonValue m ? $": {m}" : "")}"),
        };
    }

}
