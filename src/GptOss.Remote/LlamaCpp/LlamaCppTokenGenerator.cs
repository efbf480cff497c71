using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using GptOss.Generation;
using GptOss.Harmony;
using GptOss.Remote.Generation;
using GptOss.Remote.Http;

namespace GptOss.Remote;

/// <summary>
/// gpt-oss on llama.cpp's <c>llama-server</c>, in token ids: <c>POST /completion</c> with the prompt as ids,
/// <c>return_tokens</c> and <c>cache_prompt</c>. llama.cpp has no stop-id field: it stops on its vocabulary's end set
/// (<c>&lt;|return|&gt;</c>, <c>&lt;|call|&gt;</c>, <c>&lt;|endoftext|&gt;</c>); other stop ids end the answer on our side.
/// The model is checked on first use: <c>GET /v1/models</c> must show gpt-oss's vocabulary.
/// </summary>
public sealed class LlamaCppTokenGenerator : RemoteTokenGenerator
{
    internal static readonly RemoteEngine Engine = new(
        "llama.cpp", BackendKinds.LlamaCpp, "does this llama-server support return_tokens?");

    private const string CompletionPath = "completion";

    private readonly bool _streaming;

    /// <summary>A generator for the server at <see cref="GenerationBackendOptions.Endpoint"/>.</summary>
    /// <param name="options">Endpoint, model name to report (default: the served one), API key, timeout.</param>
    /// <param name="httpClient">The client to send with (default: one of its own, disposed with the generator).</param>
    /// <param name="streaming">
    /// Stream the answer (default: one response per call). A streamed llama.cpp answer never sends the id of a token
    /// that ends inside a UTF-8 character; when one is missing, the rest of the answer is requested again without
    /// streaming, continuing from the ids received, so the ids stay exact.
    /// </param>
    public LlamaCppTokenGenerator(GenerationBackendOptions options, HttpClient? httpClient = null, bool streaming = false)
        : this(options, httpClient, streaming, null)
    {
    }

    internal LlamaCppTokenGenerator(GenerationBackendOptions options, HttpClient? httpClient, bool streaming, RemoteRetryOptions? retry)
        : base(Engine, options, httpClient, retry)
    {
        _streaming = streaming;
    }

    // /completion ignores a model name, so the check is the vocabulary: another model's ids would mean other tokens.
    private protected override async Task<ModelDescriptor> DescribeAsync(CancellationToken cancellationToken)
    {
        var list = await Endpoint.GetJsonAsync(ServedModels.Path, cancellationToken).ConfigureAwait(false);
        if ((list["data"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault() is not { } entry || ServedModels.Id(entry) is not { } served)
            throw Endpoint.Error($"GET /{ServedModels.Path} lists no model: is one loaded?");
        var vocabulary = ServedModels.Int(entry["meta"]?["n_vocab"]);
        if (vocabulary != HarmonyTokenizer.ModelVocabularySize)
            throw Endpoint.Error(
                $"serves {served} with a vocabulary of {vocabulary?.ToString() ?? "unknown size"}; gpt-oss needs o200k_harmony's {HarmonyTokenizer.ModelVocabularySize} tokens");
        var descriptor = ServedModels.Describe(entry, ServedModels.Int(entry["meta"]?["n_ctx"]));
        return Endpoint.ConfiguredModel is { } name ? descriptor with { Name = name } : descriptor;
    }

    private protected override async IAsyncEnumerable<RemoteChunk> AnswerAsync(
        IReadOnlyList<int> prompt, GenerationOptions options, IReadOnlyList<int> stopTokens, ModelDescriptor model,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var limit = SamplingFields.MaxNewTokens(options);
        if (!_streaming)
        {
            yield return await CompleteAsync(prompt, options, limit, cancellationToken).ConfigureAwait(false);
            yield break;
        }

        var received = new List<int>();
        RemoteChunk? redo = null;
        using (var response = await Endpoint.PostJsonAsync(CompletionPath, Body(prompt, options, limit, stream: true), cancellationToken).ConfigureAwait(false))
        {
            await foreach (var e in AnswerJson.ReadEventsAsync(Endpoint, response, cancellationToken).ConfigureAwait(false))
            {
                if (e["tokens"] is not JsonArray tokens) throw Endpoint.MissingTokenIds();
                var ids = TokenIdArrays.Read(Endpoint, tokens, "tokens");
                var stop = e["stop"] is JsonValue s && s.TryGetValue<bool>(out var stopped) && stopped;
                var predicted = ServedModels.Int(e["tokens_predicted"]);
                // Every event of a sampled token carries its id; one with none ignores return_tokens.
                if (!stop && ids.Count == 0 && predicted > 0) throw Endpoint.MissingTokenIds();
                if (predicted > received.Count + ids.Count)
                {
                    // An id went missing (a token ending inside a UTF-8 character): ask for the rest again, continuing
                    // after the ids we trust; leaving this using block closes the stream, which stops the server's slot.
                    redo = await CompleteAsync([.. prompt, .. received], options, limit - received.Count, cancellationToken).ConfigureAwait(false);
                    break;
                }
                received.AddRange(ids);
                yield return new RemoteChunk(ids, stop ? Finish(e) : null, stop ? CacheCount(e) : null);
            }
        }
        if (redo is not null) yield return redo;
    }

    private async Task<RemoteChunk> CompleteAsync(IReadOnlyList<int> prompt, GenerationOptions options, int limit, CancellationToken cancellationToken)
    {
        using var response = await Endpoint.PostJsonAsync(CompletionPath, Body(prompt, options, limit, stream: false), cancellationToken).ConfigureAwait(false);
        var answer = await AnswerJson.ReadAsync(Endpoint, response, cancellationToken).ConfigureAwait(false);
        if (answer["tokens"] is not JsonArray tokens || tokens.Count == 0 && ServedModels.Int(answer["tokens_predicted"]) > 0)
            throw Endpoint.MissingTokenIds();
        return new RemoteChunk(TokenIdArrays.Read(Endpoint, tokens, "tokens"), Finish(answer), CacheCount(answer));
    }

    private static JsonObject Body(IReadOnlyList<int> prompt, GenerationOptions options, int limit, bool stream)
    {
        var body = new JsonObject
        {
            ["prompt"] = TokenIdArrays.ToJson(prompt),
            ["n_predict"] = limit,
            ["temperature"] = options.Temperature,
            ["top_p"] = options.TopP,
            ["top_k"] = SamplingFields.TopKOffLlamaCpp,
            ["min_p"] = SamplingFields.MinPOff,
            ["cache_prompt"] = true,
            ["return_tokens"] = true,
            ["stream"] = stream,
        };
        if (options.Seed is { } seed) body["seed"] = seed;
        return body;
    }

    private static int? CacheCount(JsonObject answer) => ServedModels.Int(answer["timings"]?["cache_n"]);

    private FinishReason? Finish(JsonObject answer) => (string?)answer["stop_type"] switch
    {
        "eos" or "word" => FinishReason.Stop,
        "limit" => FinishReason.Length,
        var other => throw Endpoint.Error($"the answer ended with stop_type '{other}'"),
    };

}
