using System.Diagnostics;
using GptOss.Constraints;
using GptOss.Generation;
using GptOss.Harmony;

namespace GptOss.Cli.Commands;

/// <summary>
/// `gptoss bench --json-schema`: greedy decoding with every token masked by the schema's constraint. The reasoning budget
/// is 0, so the whole decode is the forced <c>final</c> answer, the part whose masks cost something.
/// </summary>
internal sealed class ConstrainedDecode
{
    private readonly AnswerConstraint _constraint;

    private ConstrainedDecode(AnswerConstraint constraint, double firstMaskSeconds)
    {
        _constraint = constraint;
        FirstMaskSeconds = firstMaskSeconds;
    }

    /// <summary>Compile and the first mask of this schema, timed after the vocabulary's trie is built (once per process, not per schema).</summary>
    public double FirstMaskSeconds { get; }

    public static ConstrainedDecode Compile(string schemaFile)
    {
        var schema = JsonSchemaFile.Read(schemaFile);
        CompiledAnswerConstraint.Compile(new AnswerConstraint { Format = AnswerFormat.AnyJsonObject }).Begin().Allowed(int.MaxValue);
        var constraint = new AnswerConstraint { Format = new AnswerFormat(schema) };
        var clock = Stopwatch.StartNew();
        CompiledAnswerConstraint.Compile(constraint).Begin().Allowed(int.MaxValue);
        return new ConstrainedDecode(constraint, clock.Elapsed.TotalSeconds);
    }

    /// <summary>Decodes up to <paramref name="genTokens"/> after <paramref name="prompt"/>; the speed counts the tokens after the first, as the plain figure does.</summary>
    public async Task<(int GeneratedTokens, double DecodeTokensPerSecond)> MeasureAsync(
        ITokenGenerator engine, IReadOnlyList<int> prompt, int genTokens, CancellationToken ct)
    {
        var options = new GenerationOptions
        {
            Temperature = 0,
            MaxNewTokens = genTokens,
            StopTokens = new HashSet<int> { HarmonyTokens.Return },
            Constraint = CompiledAnswerConstraint.For(_constraint).Begin(maxReasoningTokens: 0),
        };
        int generated = 0;
        var decodeClock = new Stopwatch();
        await foreach (var _ in engine.GenerateAsync(prompt, options, ct))
        {
            if (++generated == 1) decodeClock.Start();
        }
        return (generated, (generated - 1) / decodeClock.Elapsed.TotalSeconds);
    }
}
