using System.Text.Json;
using GptOss.Harmony;
using Json.Schema;

namespace GptOss.Constraints.Tests;

/// <summary>Reads a constrained run's answer back and checks it against its schema with JsonSchema.Net.</summary>
internal static class AnswerText
{
    /// <summary>The text between the last <c>&lt;|message|&gt;</c> and the final stop token, decoded strictly (invalid UTF-8 throws).</summary>
    public static string Body(IReadOnlyList<int> tokens)
    {
        int message = tokens.ToList().LastIndexOf(HarmonyTokens.Message);
        Assert.True(message >= 0, $"no <|message|> in {HarmonyTokenizer.Shared.Decode(tokens)}");
        Assert.Contains(tokens[^1], new[] { HarmonyTokens.Return, HarmonyTokens.Call });
        return HarmonyTokenizer.Shared.DecodeUtf8(tokens.Skip(message + 1).Take(tokens.Count - message - 2));
    }

    /// <summary>Asserts <paramref name="json"/> parses and is valid against <paramref name="schema"/>.</summary>
    public static void AssertValid(string schema, string json, string context)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            Assert.Fail($"not JSON ({e.Message}): {json}\nschema: {schema}\n{context}");
            return;
        }
        using (document)
        {
            var result = JsonSchema.FromText(schema).Evaluate(document.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
            if (!result.IsValid)
            {
                var errors = (result.Details ?? []).Where(d => d.Errors is not null).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}"));
                Assert.Fail($"invalid: {json}\nschema: {schema}\nerrors: {string.Join("; ", errors)}\n{context}");
            }
        }
    }
}
