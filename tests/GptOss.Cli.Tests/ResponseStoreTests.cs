using System.Text.Json;
using System.Text.Json.Nodes;
using GptOss.Cli.Server.Responses;

namespace GptOss.Cli.Tests;

/// <summary>The store of responses stays within its count and its size, forgetting the oldest first.</summary>
public sealed class ResponseStoreTests
{
    private static readonly JsonElement Item = JsonSerializer.SerializeToElement(new { type = "message", role = "user", content = new string('x', 1000) });

    [Fact]
    public void Past_its_capacity_the_oldest_response_is_forgotten()
    {
        var store = new ResponseStore(capacity: 2);
        foreach (var id in new[] { "a", "b", "c" }) store.Add(id, new JsonObject { ["id"] = id }, [Item]);

        Assert.Null(store.Get("a"));
        Assert.NotNull(store.Get("b"));
        Assert.NotNull(store.Get("c"));
    }

    [Fact]
    public void Past_its_size_the_oldest_responses_are_forgotten_and_a_removed_one_frees_its_share()
    {
        var store = new ResponseStore(capacity: 100, maxChars: 2500);
        store.Add("a", new JsonObject { ["id"] = "a" }, [Item]);
        store.Add("b", new JsonObject { ["id"] = "b" }, [Item]);
        Assert.NotNull(store.Get("a"));

        store.Add("c", new JsonObject { ["id"] = "c" }, [Item]);
        Assert.Null(store.Get("a"));
        Assert.NotNull(store.Get("c"));

        Assert.True(store.Remove("b"));
        store.Add("d", new JsonObject { ["id"] = "d" }, [Item]);
        Assert.NotNull(store.Get("c"));
        Assert.NotNull(store.Get("d"));
        Assert.False(store.Remove("b"));
    }
}
