using System.Text.Json;
using GptOss.Testing;

namespace GptOss.Engine.Tests;

/// <summary>One <c>expected/&lt;fixture&gt;.&lt;precision&gt;.json</c> of the tiny fixtures.</summary>
internal sealed record Golden(int[] Tokens, (int Id, float Logit)[][] Top5PerPosition, float[] LogitsLast, int[] Greedy)
{
    public static Golden Read(string fixture, string precision)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(TestPaths.TinyExpected(fixture, precision)));
        var root = doc.RootElement;
        return new Golden(
            root.GetProperty("tokens").EnumerateArray().Select(e => e.GetInt32()).ToArray(),
            root.GetProperty("top5_per_position").EnumerateArray()
                .Select(pos => pos.EnumerateArray().Select(p => (p[0].GetInt32(), p[1].GetSingle())).ToArray()).ToArray(),
            root.GetProperty("logits_last").EnumerateArray().Select(e => e.GetSingle()).ToArray(),
            root.GetProperty("greedy").EnumerateArray().Select(e => e.GetInt32()).ToArray());
    }

    /// <summary>Largest |ours − golden| over every reported logit: the top five of every position and all of the last.</summary>
    public float MaxDifference(IReadOnlyList<float[]> logits)
    {
        float max = 0;
        for (int t = 0; t < Top5PerPosition.Length; t++)
            foreach (var (id, logit) in Top5PerPosition[t])
                max = Math.Max(max, Math.Abs(logits[t][id] - logit));
        for (int i = 0; i < LogitsLast.Length; i++)
            max = Math.Max(max, Math.Abs(logits[^1][i] - LogitsLast[i]));
        return max;
    }
}
