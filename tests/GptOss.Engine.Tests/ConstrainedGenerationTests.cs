using System.Diagnostics;
using System.Text.Json;
using GptOss.Constraints;
using GptOss.Engine.Checkpoints;
using GptOss.Generation;
using GptOss.Harmony;
using Xunit.Abstractions;

namespace GptOss.Engine.Tests;

/// <summary>
/// The engine under a constraint: a tiny random checkpoint with the real vocabulary, whose free output is garbage and
/// which almost never ends its analysis, must still answer with valid JSON within max_tokens 1000.
/// </summary>
public sealed class ConstrainedGenerationTests(ITestOutputHelper output)
{
    private const string Schema =
        """{"type":"object","properties":{"city":{"type":"string","maxLength":24},"celsius":{"type":"integer","minimum":-40,"maximum":50},"sky":{"enum":["clear","cloudy","rain"]},"hourly":{"type":"array","items":{"type":"number"},"maxItems":4}},"required":["city","celsius","sky"],"additionalProperties":false}""";

    [Theory]
    [InlineData(11)]   // goes straight to the final channel
    [InlineData(13)]   // reasons until the budget ends its analysis (756 tokens)
    public async Task ARandomCheckpointAnswersWithValidJsonWithinMaxTokensThroughThePipeline(int seed)
    {
        using var dir = new TempDirectory();
        RandomCheckpoint.Write(dir.Path, new RandomCheckpointOptions { Seed = 7, Vocab = HarmonyTokenizer.ModelVocabularySize });
        using var engine = GptOssEngine.Load(dir.Path, new EngineOptions { DType = ActivationDType.Float32 });
        var timed = new TimedConstraint();
        var request = new HarmonyChatRequest(
            [Message.FromRole(Role.System, new SystemContent()), Message.FromRole(Role.User, "Weather in Paris as JSON.")])
        {
            Constraint = new AnswerConstraint { Format = new AnswerFormat(JsonDocument.Parse(Schema).RootElement) },
            Generation = new GenerationOptions { MaxNewTokens = 1000, Temperature = 1, Seed = seed },
        };

        GenerationCompleted? end = null;
        await foreach (var e in new HarmonyChatPipeline(new Timed(engine, timed)).RunAsync(request)) end = e as GenerationCompleted ?? end;

        Assert.NotNull(end);
        Assert.Equal(HarmonyFinishReason.Stop, end.FinishReason);
        Assert.InRange(end.Usage.CompletionTokens, 1, 1000);
        using var answer = JsonDocument.Parse(Assert.Single(end.Messages, m => m.Channel == "final").Text);
        var root = answer.RootElement;
        Assert.True(root.GetProperty("city").GetString()!.Length <= 24);
        Assert.InRange(root.GetProperty("celsius").GetInt32(), -40, 50);
        Assert.Contains(root.GetProperty("sky").GetString(), new[] { "clear", "cloudy", "rain" });
        Assert.All(root.EnumerateObject(), p => Assert.Contains(p.Name, new[] { "city", "celsius", "sky", "hourly" }));
        output.WriteLine($"{string.Join(",", end.Messages.Select(m => m.Channel))}: {end.Usage.CompletionTokens} tokens, decode {end.Usage.DecodeTime.TotalMilliseconds:F0} ms, masks {timed.Total.TotalMilliseconds:F0} ms over {timed.Calls} calls (first {timed.First.TotalMilliseconds:F1} ms); answer {root}");
    }

    /// <summary>Measures the time a constraint spends computing masks (reported, not asserted).</summary>
    private sealed class TimedConstraint
    {
        public TimeSpan Total { get; set; }
        public TimeSpan First { get; set; }
        public int Calls { get; set; }
    }

    private sealed class Timed(ITokenGenerator inner, TimedConstraint timing) : ITokenGenerator
    {
        public ModelDescriptor Model => inner.Model;

        public IAsyncEnumerable<GeneratedToken> GenerateAsync(IReadOnlyList<int> prompt, GenerationOptions options, CancellationToken cancellationToken = default) =>
            inner.GenerateAsync(prompt, options with { Constraint = new Wrapped(options.Constraint!, timing) }, cancellationToken);
    }

    private sealed class Wrapped(ITokenConstraint inner, TimedConstraint timing) : ITokenConstraint
    {
        public TokenMask? Allowed(int remainingTokens)
        {
            var clock = Stopwatch.StartNew();
            var mask = inner.Allowed(remainingTokens);
            if (timing.Calls++ == 0) timing.First = clock.Elapsed;
            timing.Total += clock.Elapsed;
            return mask;
        }

        public void Accept(int token) => inner.Accept(token);
    }
}
