using System.Text.Json;
using System.Text.Json.Nodes;

namespace GptOss.Cli.Server.Responses;

/// <summary>
/// Responses kept for <c>GET /v1/responses/{id}</c> and <c>previous_response_id</c>, in memory and bounded: past
/// <paramref name="capacity"/> the oldest are forgotten first. A response keeps its whole conversation (every input
/// item of the chain, then its output), so continuing it renders the same prompt prefix the engine has cached.
/// </summary>
internal sealed class ResponseStore(int capacity = 1024)
{
    private readonly Dictionary<string, StoredResponse> _byId = new(StringComparer.Ordinal);
    private readonly LinkedList<string> _order = new();
    private readonly Lock _lock = new();

    public void Add(string id, JsonObject response, IReadOnlyList<JsonElement> conversation)
    {
        lock (_lock)
        {
            if (_byId.ContainsKey(id)) return;
            _byId[id] = new StoredResponse(response.ToJsonString(), conversation);
            _order.AddLast(id);
            while (_order.Count > capacity)
            {
                _byId.Remove(_order.First!.Value);
                _order.RemoveFirst();
            }
        }
    }

    public StoredResponse? Get(string id)
    {
        lock (_lock) return _byId.GetValueOrDefault(id);
    }

    public bool Remove(string id)
    {
        lock (_lock)
        {
            if (!_byId.Remove(id)) return false;
            _order.Remove(id);
            return true;
        }
    }
}

/// <summary>A stored response: its JSON as returned, and the items of its conversation (inputs of the chain, then its output).</summary>
internal sealed record StoredResponse(string Json, IReadOnlyList<JsonElement> Conversation);
