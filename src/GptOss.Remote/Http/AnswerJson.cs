using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;

namespace GptOss.Remote.Http;

/// <summary>
/// Reads an engine's answer as JSON: the events of a streamed one (<c>data: {...}</c>, up to <c>data: [DONE]</c> or the
/// end of the body), or a whole one; an error object in either is a <see cref="RemoteBackendException"/>.
/// </summary>
internal static class AnswerJson
{
    private const string Done = "[DONE]";

    /// <summary>
    /// Each event's JSON object; an error event (<c>{"error":...}</c> or <c>"object":"error"</c>) ends the stream with a
    /// <see cref="RemoteBackendException"/>.
    /// </summary>
    public static async IAsyncEnumerable<JsonObject> ReadEventsAsync(
        RemoteEndpoint endpoint, HttpResponseMessage response, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await foreach (var item in SseParser.Create(stream).EnumerateAsync(cancellationToken).ConfigureAwait(false))
        {
            if (item.Data == Done) yield break;
            if (item.Data.Length == 0) continue;
            var node = endpoint.ParseJson(item.Data, "a streamed event");
            yield return AnswerObject(endpoint, node, item.Data);
        }
    }

    /// <summary>A complete (non-streamed) answer's JSON object, with the same error check.</summary>
    public static async Task<JsonObject> ReadAsync(RemoteEndpoint endpoint, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        return AnswerObject(endpoint, endpoint.ParseJson(text, "the answer"), text);
    }

    private static JsonObject AnswerObject(RemoteEndpoint endpoint, JsonNode node, string text)
    {
        if (node is not JsonObject o) throw endpoint.Error($"expected a JSON object, got: {RemoteEndpoint.ErrorMessage(text)}");
        if (o.ContainsKey("error") || o["object"]?.GetValueKind() == System.Text.Json.JsonValueKind.String && (string?)o["object"] == "error")
            throw endpoint.Error($"the server reported an error: {RemoteEndpoint.ErrorMessage(text)}");
        return o;
    }
}
