using System.Text.Json;
using System.Text.Json.Nodes;

namespace GptOss.Cli.Server.Responses;

/// <summary>
/// Responses kept for <c>GET /v1/responses/{id}</c> and <c>previous_response_id</c>, in memory and bounded: past
/// <paramref name="capacity"/> responses or <paramref name="maxChars"/> characters of JSON the oldest are forgotten
/// first (each continuation holds its whole chain, so a long chain costs its length squared). A response keeps its
/// whole conversation (every input item of the chain, then its output), so continuing it renders the same prompt
/// prefix the engine has cached.
/// </summary>
internal sealed class ResponseStore(int capacity = 1024, long maxChars = 128L << 20)
{
    private readonly Dictionary<string, StoredResponse> _byId = new(StringComparer.Ordinal);
    private readonly LinkedList<string> _order = new();
    private readonly Lock _lock = new();
    private long _chars;

    public void Add(string id, JsonObject response, IReadOnlyList<JsonElement> conversation)
    {
        var stored = new StoredResponse(response.ToJsonString(), conversation);
        lock (_lock)
        {
            if (_byId.ContainsKey(id)) return;
            _byId[id] = stored;
            _order.AddLast(id);
            _chars += stored.Chars;
            while (_order.Count > capacity || (_chars > maxChars && _order.Count > 0)) Forget(_order.First!.Value);
        }
    }

    public StoredResponse? Get(string id)
    {
        lock (_lock) return _byId.GetValueOrDefault(id);
    }

    public bool Remove(string id)
    {
        lock (_lock) return Forget(id);
    }

    private bool Forget(string id)
    {
        if (!_byId.Remove(id, out var stored)) return false;
        _order.Remove(id);
        _chars -= stored.Chars;
        return true;
    }
}

/// <summary>A stored response: its JSON as returned, and the items of its conversation (inputs of the chain, then its output).</summary>
internal sealed record StoredResponse(string Json, IReadOnlyList<JsonElement> Conversation)
{
    /// <summary>What it holds, in characters of JSON.</summary>
    public long Chars { get; } = Json.Length + Conversation.Sum(i => (long)i.GetRawText().Length);
}
