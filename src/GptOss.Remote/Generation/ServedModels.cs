using System.Text.Json.Nodes;
using GptOss.Generation;
using GptOss.Harmony;
using GptOss.Remote.Http;

namespace GptOss.Remote.Generation;

/// <summary>The OpenAI-style model list every engine serves at <c>GET /v1/models</c>, and the choice of one entry.</summary>
internal static class ServedModels
{
    public const string Path = "v1/models";

    /// <summary>gpt-oss's context length, for servers that do not say theirs.</summary>
    public const int DefaultContextLength = 131_072;

    /// <summary>
    /// The entry named <see cref="RemoteEndpoint.ConfiguredModel"/>, else the first one; a name the server does not
    /// serve is an error listing the names it does.
    /// </summary>
    public static async Task<JsonObject> SelectAsync(RemoteEndpoint endpoint, CancellationToken cancellationToken)
    {
        var list = await endpoint.GetJsonAsync(Path, cancellationToken).ConfigureAwait(false);
        var entries = (list["data"] as JsonArray)?.OfType<JsonObject>().Where(e => Id(e) is not null).ToList()
            ?? throw endpoint.Error($"GET /{Path} answered no model list (no \"data\" array)");
        if (entries.Count == 0) throw endpoint.Error($"GET /{Path} lists no model: is one loaded?");
        if (endpoint.ConfiguredModel is not { } wanted) return entries[0];
        return entries.FirstOrDefault(e => Id(e) == wanted)
            ?? throw endpoint.Error(
                $"serves no model named '{wanted}' ({GenerationBackendOptions.SectionName}:{nameof(GenerationBackendOptions.Model)}); it serves: {string.Join(", ", entries.Select(Id))}");
    }

    /// <summary>The selected entry as gpt-oss, with <c>max_model_len</c> as the context length when listed (vLLM, SGLang).</summary>
    public static async Task<ModelDescriptor> DescribeAsync(RemoteEndpoint endpoint, CancellationToken cancellationToken)
    {
        var entry = await SelectAsync(endpoint, cancellationToken).ConfigureAwait(false);
        return Describe(entry, Int(entry["max_model_len"]));
    }

    public static string? Id(JsonObject entry) => entry["id"] is JsonValue v && v.TryGetValue<string>(out var id) ? id : null;

    /// <summary>An integer field of <paramref name="node"/>, if it holds one.</summary>
    public static int? Int(JsonNode? node) => node is JsonValue v && v.TryGetValue<long>(out var n) && n is >= 0 and <= int.MaxValue ? (int)n : null;

    /// <summary>gpt-oss as <paramref name="entry"/> describes it, with the context length when the server gives one.</summary>
    public static ModelDescriptor Describe(JsonObject entry, int? contextLength) =>
        new(Id(entry)!, HarmonyTokenizer.ModelVocabularySize, contextLength is > 0 ? contextLength.Value : DefaultContextLength);
}
