using GptOss.Engine.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace GptOss.Engine.Model;

/// <summary>
/// The router's choice for T tokens, on the host: for token t, slot j (0..k-1), expert <c>Experts[t·k+j]</c> with
/// weight <c>Weights[t·k+j]</c> (softmax over the k selected logits, already rounded to the activation dtype).
/// </summary>
internal sealed record ExpertSelection(int TokenCount, int TopK, int[] Experts, float[] Weights)
{
    /// <summary>Each row of <paramref name="routerLogits"/> [T, E] (activation dtype, any device) → its top-k.</summary>
    public static ExpertSelection Of(Tensor routerLogits, int topK)
    {
        int tokens = (int)routerLogits.shape[0], experts = (int)routerLogits.shape[1];
        var logits = routerLogits.to(ScalarType.Float32).cpu().data<float>().ToArray();
        var selected = new int[tokens * topK];
        var weights = new float[tokens * topK];
        bool roundToBf16 = routerLogits.dtype == ScalarType.BFloat16;
        for (int t = 0; t < tokens; t++)
            SelectOne(logits.AsSpan(t * experts, experts), selected.AsSpan(t * topK, topK), weights.AsSpan(t * topK, topK), roundToBf16);
        return new ExpertSelection(tokens, topK, selected, weights);
    }

    /// <summary>One token's top-k experts (ties → lower index) and their softmax weights over the selected logits.</summary>
    public static void SelectOne(ReadOnlySpan<float> row, Span<int> chosen, Span<float> weights, bool roundToBf16)
    {
        int k = chosen.Length;
        for (int j = 0; j < k; j++)
        {
            int best = -1;
            for (int e = 0; e < row.Length; e++)
                if (chosen[..j].IndexOf(e) < 0 && (best < 0 || row[e] > row[best])) best = e;
            chosen[j] = best;
        }
        double max = row[chosen[0]], total = 0;
        for (int j = 0; j < k; j++) total += Math.Exp(row[chosen[j]] - max);
        for (int j = 0; j < k; j++)
        {
            float weight = (float)(Math.Exp(row[chosen[j]] - max) / total);
            weights[j] = roundToBf16 ? Fp.RoundToBf16(weight) : weight;
        }
    }
}
