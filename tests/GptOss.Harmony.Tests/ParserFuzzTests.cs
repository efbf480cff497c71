using CsCheck;
using static GptOss.Harmony.Tests.H;

namespace GptOss.Harmony.Tests;

/// <summary>
/// Property test: random token sequences and mutations of real rendered conversations (drops, swaps, inserted
/// special or out-of-vocabulary ids, truncation, duplication) never make the parser throw anything but
/// <see cref="HarmonyParseException"/>, in strict and lenient mode, and its state stays bounded.
/// </summary>
public class ParserFuzzTests
{
    private static readonly int[][] Corpus = BuildCorpus();

    private static int[][] BuildCorpus()
    {
        var convo = new List<Message>
        {
            Message.FromRole(Role.System, new SystemContent().WithConversationStartDate("2025-06-28")),
            Message.FromRole(Role.Developer, new DeveloperContent().WithInstructions("Be brief.").WithFunctionTools(
                [new ToolDescription("get_weather", "Weather.", Json("""{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}"""))])),
            Msg(Role.User, "Weather in Tokyo? 東京の天気は? 😊"),
            Msg(Role.Assistant, "Need the tool.").WithChannel("analysis"),
            Msg(Role.Assistant, "{\"city\": \"Tokyo\"}").WithChannel("commentary").WithRecipient("functions.get_weather").WithContentType("<|constrain|>json"),
            Message.FromAuthor(new Author(Role.Tool, "functions.get_weather"), "{\"sunny\": true}").WithRecipient("assistant").WithChannel("commentary"),
            Msg(Role.Assistant, "It is sunny ☀️ in Tokyo.").WithChannel("final"),
        };
        var completion = Special("<|channel|>analysis<|message|>Think 2+2.<|end|><|start|>assistant to=python<|channel|>analysis code<|message|>print(2+2)<|call|>");
        return
        [
            Renderer.RenderConversation(convo, new RenderConversationConfig { AutoDropAnalysis = false }).ToArray(),
            Renderer.RenderConversationForTraining(convo).ToArray(),
            completion.ToArray(),
            Special("<|channel|>final<|message|>The answer is 4.<|return|>").ToArray(),
        ];
    }

    private static readonly int[] Structural = [200002, 200003, 200005, 200006, 200007, 200008, 200012];

    private static readonly Gen<int> AnyToken = Gen.Frequency(
        (6, Gen.Int[0, 199_997]),
        (4, Gen.OneOf(Structural)),
        (1, Gen.Int[199_998, 201_088]),
        (1, Gen.OneOf(-1, int.MinValue, int.MaxValue, 201_089, 1_000_000)),
        (2, Gen.OneOf(9552, 220, 28, 316, 173781, 35644, 17196, 12606, 815, 4108)));

    private static readonly Gen<int[]> RandomSequence = AnyToken.Array[0, 48];

    /// <summary>(kind, position, token): 0 drop, 1 swap with next, 2 insert, 3 replace, 4 truncate, 5 duplicate a span.</summary>
    private static readonly Gen<(int Kind, int Position, int Token)> Mutation = Gen.Select(Gen.Int[0, 5], Gen.Int[0, 10_000], AnyToken);

    /// <summary>A window of up to 96 tokens of a rendered conversation (from its start half the time), then mutated.</summary>
    private static readonly Gen<int[]> MutatedSequence = Gen.Select(Gen.Int[0, Corpus.Length - 1], Gen.Int[0, 10_000], Gen.Int[8, 96], Mutation.Array[1, 6], (source, offset, length, mutations) =>
    {
        var all = Corpus[source];
        int start = offset % 2 == 0 ? 0 : offset % all.Length;
        var tokens = all.Skip(start).Take(length).ToList();
        foreach (var (kind, position, token) in mutations)
        {
            int at = tokens.Count == 0 ? 0 : position % tokens.Count;
            switch (kind)
            {
                case 0 when tokens.Count > 0: tokens.RemoveAt(at); break;
                case 1 when at + 1 < tokens.Count: (tokens[at], tokens[at + 1]) = (tokens[at + 1], tokens[at]); break;
                case 2: tokens.Insert(at, token); break;
                case 3 when tokens.Count > 0: tokens[at] = token; break;
                case 4: tokens.RemoveRange(at, tokens.Count - at); break;
                case 5: tokens.InsertRange(at, tokens.Skip(at).Take(1 + position % 7).ToList()); break;
            }
        }
        return tokens.ToArray();
    });

    private static readonly Gen<(int[] Tokens, bool Primed, bool Strict)> Input =
        Gen.Select(Gen.Frequency((1, RandomSequence), (3, MutatedSequence)), Gen.Bool, Gen.Bool);

    [Fact]
    public void OnlyHarmonyParseExceptionEscapes()
    {
        int parsed = 0;
        Input.Sample(input =>
        {
            Run(input.Tokens, input.Primed ? Role.Assistant : null, input.Strict);
            Interlocked.Increment(ref parsed);
        }, iter: 100_000, threads: 2);
        Assert.Equal(100_000, parsed);
    }

    private static void Run(int[] tokens, Role? role, bool strict)
    {
        var parser = new StreamableParser(role, strict);
        try
        {
            foreach (int token in tokens)
            {
                parser.Process(token);
                // Observing the state never throws.
                _ = (parser.CurrentRole, parser.CurrentChannel, parser.CurrentRecipient, parser.CurrentContentType, parser.LastContentDelta, parser.State);
            }
            // The content never outgrows what was fed (no token decodes to more than 256 bytes).
            if (parser.CurrentContent.Length > 256 * parser.Tokens.Count) throw new InvalidOperationException("content outgrew the input");
            parser.ProcessEos();
        }
        catch (HarmonyParseException e)
        {
            if (e.Position < 0 || e.Position > tokens.Length) throw new InvalidOperationException($"position {e.Position} outside 0..{tokens.Length}");
        }
        if (parser.Messages.Count > tokens.Length) throw new InvalidOperationException("more messages than tokens");
    }

    [Fact]
    public void LongMalformedStreamsStayLinear()
    {
        // An unknown id followed by a long content, and a long run of invalid UTF-8 bytes: both finish and stay one message.
        var parser = new StreamableParser(Role.Assistant, strict: false);
        foreach (int t in Special("<|channel|>final<|message|>")) parser.Process(t);
        parser.Process(-1);
        for (int i = 0; i < 200_000; i++) parser.Process(1000 + i % 5000);
        parser.ProcessEos();
        Assert.Equal("\uFFFD", Assert.Single(parser.Messages).Text);

        var bytes = new StreamableParser(Role.Assistant);
        foreach (int t in Special("<|channel|>final<|message|>")) bytes.Process(t);
        for (int i = 0; i < 200_000; i++) bytes.Process(9552);
        bytes.ProcessEos();
        Assert.Equal(200_000 * 2, Assert.Single(bytes.Messages).Text.Length);
    }
}
