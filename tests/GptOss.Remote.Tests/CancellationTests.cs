using GptOss.Generation;
using GptOss.Remote.Testing;
using GptOss.Testing;

namespace GptOss.Remote.Tests;

/// <summary>Cancelling, or leaving the enumeration early, closes the connection so the server stops generating.</summary>
public sealed class CancellationTests : RemoteTestBase
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    [Theory]
    [MemberData(nameof(StreamingEngines))]
    public async Task CancellationMarksTheHeldTokenCancelledAndClosesTheConnection(Engine engine)
    {
        await using var server = StartFake(engine, HarmonyScripts.WeatherCall, new FakeServerOptions { PauseAfterIds = 3 });
        using var cancel = new CancellationTokenSource();
        var tokens = new List<GeneratedToken>();
        await foreach (var token in Client(engine, server.Endpoint).GenerateAsync(Prompt, new GenerationOptions(), cancel.Token))
        {
            tokens.Add(token);
            if (tokens.Count == 2) cancel.Cancel();   // the server holds the 4th id back: the 3rd is waiting in the client
        }

        Assert.Equal(Encode(HarmonyScripts.WeatherCall).Take(3), tokens.Select(t => t.Id));
        Assert.Equal(FinishReason.Cancelled, tokens[^1].Stats.FinishReason);
        await server.StreamAbandoned.WaitAsync(Bound);
        Assert.Equal(1, server.AbandonedStreams);
    }

    [Theory]
    [MemberData(nameof(StreamingEngines))]
    public async Task ACallerThatStopsReadingClosesTheConnection(Engine engine)
    {
        await using var server = StartFake(engine, HarmonyScripts.WeatherCall, new FakeServerOptions { PauseAfterIds = 3 });
        await foreach (var token in Client(engine, server.Endpoint).GenerateAsync(Prompt, new GenerationOptions()))
        {
            break;
        }
        await server.StreamAbandoned.WaitAsync(Bound);
    }

    [Theory]
    [MemberData(nameof(AllEngines))]
    public async Task CancellationBeforeTheFirstIdThrows(Engine engine)
    {
        await using var server = StartFake(engine, HarmonyScripts.WeatherCall);
        var client = Client(engine, server.Endpoint);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => CollectAsync(client, Prompt, cancellationToken: new CancellationToken(true)));
    }
}
