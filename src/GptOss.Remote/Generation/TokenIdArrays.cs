using System.Text.Json.Nodes;
using GptOss.Remote.Http;

namespace GptOss.Remote.Generation;

/// <summary>Token ids as the engines' JSON carries them.</summary>
internal static class TokenIdArrays
{
    public static JsonArray ToJson(IEnumerable<int> ids) => new([.. ids.Select(id => (JsonNode)id)]);

    /// <summary>The ids of <paramref name="array"/> (field <paramref name="field"/>); anything but a non-negative integer is an error.</summary>
    public static List<int> Read(RemoteEndpoint endpoint, JsonArray array, string field) =>
        array.Select(n => ServedModels.Int(n) ?? throw endpoint.Error($"{field} holds {n?.ToJsonString() ?? "null"}, not a token id")).ToList();
}
