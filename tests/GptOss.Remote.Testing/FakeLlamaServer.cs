using System.Text.Json.Nodes;
using GptOss.Generation;
using GptOss.Harmony;

namespace GptOss.Remote.Testing;

/// <summary>
/// A fake llama.cpp <c>llama-server</c>: <c>GET /v1/models</c> (with <c>meta.n_vocab</c> and <c>meta.n_ctx</c>), and
/// <c>POST /completion</c>: one JSON answer with <c>tokens</c>, <c>stop_type</c> and <c>timings.cache_n</c>, or, when
/// streamed, one event per id (none for a token ending inside a UTF-8 character, unless turned off), a final
/// <c>stop: true</c> event without ids, and no <c>[DONE]</c>. It stops on its end set (<c>&lt;|return|&gt;</c>,
/// <c>&lt;|call|&gt;</c>, <c>&lt;|endoftext|&gt;</c>): there is no stop-id field.
/// </summary>
public sealed class FakeLlamaServer : FakeEngineServer
{
    private static readonly int[] EndOfGeneration = [HarmonyTokens.Return, HarmonyTokens.Call, HarmonyTokens.EndOfText];

    private FakeLlamaServer(ITokenGenerator inner, FakeServerOptions? options) : base(inner, options)
    {
    }

    public static FakeLlamaServer Start(ITokenGenerator inner, FakeServerOptions? options = null) => new(inner, options);

    private protected override string GeneratePath => "/completion";

    private protected override async Task AnswerAsync(RecordedRequest request, FakeExchange exchange, CancellationToken cancellationToken)
    {
        if (request is { Method: "GET", Path: "/v1/models" })
        {
            var model = new JsonObject
            {
                ["id"] = Options.ModelName, ["object"] = "model", ["owned_by"] = "llamacpp",
                ["meta"] = new JsonObject { ["vocab_type"] = 2, ["n_vocab"] = Options.VocabularySize, ["n_ctx"] = Options.ContextLength },
            };
            await exchange.WriteJsonAsync(200, new JsonObject { ["object"] = "list", ["data"] = new JsonArray(model) }, cancellationToken);
            return;
        }
        if (request is not { Method: "POST", Path: "/completion", Body: { } body })
        {
            await exchange.WriteJsonAsync(404, Error(404, "File Not Found", "not_found_error"), cancellationToken);
            return;
        }
        if (await TryRejectAsync(exchange, cancellationToken)) return;
        var limit = (int?)body["n_predict"] is > 0 and var n ? n : int.MaxValue;   // llama.cpp's default: no limit
        var answer = await GenerateAsync(IntArray(body["prompt"]), limit,
            (float?)body["temperature"] ?? 0.8f, (float?)body["top_p"] ?? 0.95f, (long?)body["seed"], EndOfGeneration, cancellationToken);
        if ((bool?)body["stream"] == true)
        {
            await StreamAsync(exchange, Events(answer), sendDone: false, cancellationToken);
            return;
        }
        var final = Final(answer, Text(answer.Ids), Options.OmitTokenIds ? [] : answer.Ids);
        await exchange.WriteJsonAsync(200, final, cancellationToken);
    }

    private IEnumerable<(int, JsonNode)> Events(InnerAnswer answer)
    {
        var bytes = new List<byte>();
        var unsent = 0;   // bytes of text not sent yet (held back while a character is incomplete)
        for (var i = 0; i < answer.Ids.Count; i++)
        {
            var id = answer.Ids[i];
            var piece = id < HarmonyTokenizer.ModelVocabularySize ? HarmonyTokenizer.Shared.TokenBytes(id).ToArray() : [];
            bytes.AddRange(piece);
            unsent += piece.Length;
            if (Options.DropIdsInsideUtf8Characters && EndsInsideCharacter(bytes)) continue;
            var content = System.Text.Encoding.UTF8.GetString(bytes.GetRange(bytes.Count - unsent, unsent).ToArray());
            unsent = 0;
            var e = new JsonObject
            {
                ["index"] = 0, ["content"] = content, ["tokens"] = Options.OmitTokenIds ? new JsonArray() : JsonIds([id]),
                ["stop"] = false, ["id_slot"] = 0, ["tokens_predicted"] = i + 1, ["tokens_evaluated"] = answer.PromptTokens,
            };
            yield return (1, e);
        }
        yield return (0, Final(answer, "", []));
    }

    private JsonObject Final(InnerAnswer answer, string content, IEnumerable<int> tokens) => new()
    {
        ["index"] = 0,
        ["content"] = content,
        ["tokens"] = JsonIds(tokens),
        ["id_slot"] = 0,
        ["stop"] = true,
        ["model"] = Options.ModelName,
        ["tokens_predicted"] = answer.Ids.Count,
        ["tokens_evaluated"] = answer.PromptTokens,
        ["truncated"] = false,
        ["stop_type"] = answer.Finish == FinishReason.Length ? "limit" : "eos",
        ["stopping_word"] = "",
        ["tokens_cached"] = answer.PromptTokens + answer.Ids.Count - 1,
        ["timings"] = new JsonObject
        {
            ["cache_n"] = answer.CachedPromptTokens,
            ["prompt_n"] = answer.PromptTokens - answer.CachedPromptTokens,
            ["predicted_n"] = answer.Ids.Count,
        },
    };

    /// <summary>Whether the text ends with the first bytes of a character still missing its continuation bytes (llama.cpp's validate_utf8).</summary>
    internal static bool EndsInsideCharacter(IReadOnlyList<byte> text)
    {
        for (var back = 1; back <= Math.Min(4, text.Count); back++)
        {
            var b = text[text.Count - back];
            if ((b & 0xC0) == 0x80) continue;   // a continuation byte: look further back for the lead
            var length = (b & 0xE0) == 0xC0 ? 2 : (b & 0xF0) == 0xE0 ? 3 : (b & 0xF8) == 0xF0 ? 4 : 1;
            return length > back;
        }
        return false;
    }
}
