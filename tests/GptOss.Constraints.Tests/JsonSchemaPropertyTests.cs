using System.Collections.Concurrent;
using System.Text.Json;
using GptOss.Harmony;
using GptOss.Testing;

namespace GptOss.Constraints.Tests;

/// <summary>Every constrained answer is valid JSON against its schema and fits its budget, whatever tokens are picked.</summary>
public sealed class JsonSchemaPropertyTests
{
    private const int Schemas = 1000;

    [Fact]
    public void RandomSchemasUnderUniformlyRandomTokensGiveValidAnswersWithinBudget()
    {
        var generator = new RandomJsonSchemas(seed: 19);
        var schemas = Enumerable.Range(0, Schemas).Select(_ => generator.Next().ToJsonString()).ToArray();
        var tooSmall = new ConcurrentBag<int>();
        Parallel.For(0, Schemas, i =>
        {
            var random = new Random(i);
            int maxTokens = random.Next(40, 400);
            using var schema = JsonDocument.Parse(schemas[i]);
            var constraint = CompiledAnswerConstraint.Compile(new AnswerConstraint { Format = new AnswerFormat(schema.RootElement.Clone()) }).Begin();
            List<int> tokens;
            try
            {
                tokens = UniformSampler.Run(constraint, maxTokens, random);
            }
            catch (InvalidOperationException e) when (e.Message.StartsWith($"max_tokens {maxTokens} is too small", StringComparison.Ordinal))
            {
                tooSmall.Add(i);
                return;
            }
            string context = $"schema #{i}, max_tokens {maxTokens}, output: {HarmonyTokenizer.Shared.Decode(tokens)}";
            Assert.True(tokens.Count <= maxTokens, context);
            Assert.Equal(HarmonyTokens.Return, tokens[^1]);
            AnswerText.AssertValid(schemas[i], AnswerText.Body(tokens), context);
        });
        // Small budgets are drawn on purpose; most must still leave room for an answer.
        Assert.True(tooSmall.Count < Schemas / 10, $"{tooSmall.Count} schemas had too small a budget");
    }
}
