using System.Runtime.CompilerServices;
using GptOss.Generation;
using GptOss.Harmony;
using GptOss.Testing;

namespace GptOss.Remote.Tests;

/// <summary>
/// An agent-style tool loop through the harmony pipeline gives the same events and messages over each engine's wire
/// format as over the scripted generator directly, and the second step reuses the first step's prompt from the cache.
/// </summary>
public sealed class PipelineRoundTripTests : RemoteTestBase
{
    private static readonly string[] Scripts = [HarmonyScripts.WeatherCall, HarmonyScripts.WeatherAnswer];

    private static readonly Message[] Conversation =
    [
        Message.FromRole(Role.System, new SystemContent()),
        Message.FromRole(Role.User, "What is the weather in Paris?"),
    ];

    [Theory]
    [MemberData(nameof(AllEngines))]
    public async Task AToolLoopOverTheServerMatchesTheScriptedGeneratorExactly(Engine engine)
    {
        var direct = ScriptedTokenGenerator.FromHarmony(Scripts);
        var expected = await RunToolLoopAsync(direct);

        var served = ScriptedTokenGenerator.FromHarmony(Scripts);
        await using var server = StartFake(engine, served);
        var actual = await RunToolLoopAsync(Client(engine, server.Endpoint));

        Assert.Equal(direct.Prompts, served.Prompts);   // the server's model saw exactly the prompts the direct one did
        Assert.Equal(2, actual.Count);
        for (var step = 0; step < 2; step++)
        {
            Assert.Equal(expected[step].Ids, actual[step].Ids);
            Assert.Equal(expected[step].Events.Select(Describe), actual[step].Events.Select(Describe));
            var (want, got) = (Completed(expected[step]), Completed(actual[step]));
            Assert.Equal(want.Messages, got.Messages);
            Assert.Equal(want.FinishReason, got.FinishReason);
            Assert.Equal((want.Usage.PromptTokens, want.Usage.CachedPromptTokens, want.Usage.CompletionTokens),
                (got.Usage.PromptTokens, got.Usage.CachedPromptTokens, got.Usage.CompletionTokens));
        }
        Assert.Equal(HarmonyFinishReason.ToolCalls, Completed(actual[0]).FinishReason);
        Assert.True(Completed(actual[1]).Usage.CachedPromptTokens > 0, "the extended prompt of step 2 reuses step 1's cache");
    }

    private sealed record Step(List<HarmonyChatEvent> Events, List<int> Ids);

    private static GenerationCompleted Completed(Step step) => Assert.IsType<GenerationCompleted>(step.Events[^1]);

    /// <summary>Events compared by value; the completion's timings differ between runs and are compared apart.</summary>
    private static string Describe(HarmonyChatEvent e) => e is GenerationCompleted g ? $"completed {g.FinishReason}" : e.ToString();

    /// <summary>Two steps as the agent runner takes them: the second prompt extends the first with the exact sampled ids and the tool reply.</summary>
    private static async Task<List<Step>> RunToolLoopAsync(ITokenGenerator generator)
    {
        var recorder = new RecordingGenerator(generator);
        var pipeline = new HarmonyChatPipeline(recorder);
        var messages = new List<Message>(Conversation);
        var prompt = new List<int>(HarmonyChatPipeline.RenderPrompt(messages));
        var steps = new List<Step>();
        for (var step = 0; step < 2; step++)
        {
            var events = new List<HarmonyChatEvent>();
            await foreach (var e in pipeline.RunAsync(new HarmonyChatRequest(messages) { Prompt = [.. prompt], Generation = new GenerationOptions { Temperature = 0 } }))
                events.Add(e);
            steps.Add(new Step(events, [.. recorder.LastIds]));
            messages.AddRange(Completed(steps[^1]).Messages);
            prompt.AddRange(recorder.LastIds);
            if (events.OfType<ToolCallRequested>().SingleOrDefault() is { } call)
            {
                var reply = call.Call.Reply("{\"temperature_c\":18}");
                messages.Add(reply);
                prompt.AddRange(new HarmonyRenderer().Render(reply));
                prompt.AddRange(Encode("<|start|>assistant"));
            }
        }
        return steps;
    }

    /// <summary>Keeps the ids of the last call, as the agent runner does to extend its prompt.</summary>
    private sealed class RecordingGenerator(ITokenGenerator inner) : ITokenGenerator
    {
        public List<int> LastIds { get; } = [];

        public ModelDescriptor Model => inner.Model;

        public async IAsyncEnumerable<GeneratedToken> GenerateAsync(
            IReadOnlyList<int> prompt, GenerationOptions options, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            LastIds.Clear();
            await foreach (var token in inner.GenerateAsync(prompt, options, cancellationToken))
            {
                LastIds.Add(token.Id);
                yield return token;
            }
        }
    }
}
