using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn.functional;

namespace GptOss.Engine.Model;

/// <summary>
/// Pre-norm mixture of experts: a biased router picks the top-k experts per token (ties → lower index), weights them by
/// a softmax over the selected logits only, and the experts' outputs are summed into the residual.
/// </summary>
internal sealed class MoeBlock
{
    private readonly RmsNorm _norm;
    private readonly Linear _router;
    private readonly int _topK;
    private readonly IMoeExperts _experts;

    public MoeBlock(WeightLoader w, int layer, Func<MoeExpertWeights, IMoeExperts> experts)
    {
        var c = w.Checkpoint.Config;
        var n = w.Names;
        long h = c.HiddenSize, e = c.NumLocalExperts, i = c.IntermediateSize;
        _topK = c.NumExpertsPerTok;
        _norm = new RmsNorm(w.Float32(n.MlpNorm(layer), h), c.RmsNormEps);
        _router = w.Linear(w.Dense(n.Router(layer, "weight"), e, h), w.Dense(n.Router(layer, "bias"), e));
        var weights = new MoeExpertWeights(
            GateUpBlocks: w.Packed(n.GateUpBlocks(layer), e, 2 * i, h / 32, 16),
            GateUpScales: w.Packed(n.GateUpScales(layer), e, 2 * i, h / 32),
            GateUpBias: w.Dense(n.GateUpBias(layer), e, 2 * i),
            DownBlocks: w.Packed(n.DownBlocks(layer), e, h, i / 32, 16),
            DownScales: w.Packed(n.DownScales(layer), e, h, i / 32),
            DownBias: w.Dense(n.DownBias(layer), e, h),
            SwigluLimit: c.SwigluLimit);
        _experts = experts(weights);
    }

    /// <summary><c>x + MoE(RMSNorm(x))</c> for <paramref name="x"/> [T, H]; <paramref name="decode"/>: see <see cref="IMoeExperts"/>.</summary>
    public Tensor Forward(Tensor x, bool decode)
    {
        var h = _norm.Forward(x);
        return x + _experts.Forward(h, Select(_router.Forward(h)), decode);
    }

    private ExpertSelection Select(Tensor routerLogits)
    {
        int tokens = (int)routerLogits.shape[0], experts = (int)routerLogits.shape[1];
        var logits = routerLogits.to(ScalarType.Float32).cpu().data<float>().ToArray();
        var selected = new int[tokens * _topK];
        var weights = new float[tokens * _topK];
        bool roundToBf16 = routerLogits.dtype == ScalarType.BFloat16;
        for (int t = 0; t < tokens; t++)
        {
            var row = logits.AsSpan(t * experts, experts);
            var chosen = selected.AsSpan(t * _topK, _topK);
            for (int j = 0; j < _topK; j++)
            {
                int best = -1;
                for (int e = 0; e < experts; e++)
                    if (chosen[..j].IndexOf(e) < 0 && (best < 0 || row[e] > row[best])) best = e;
                chosen[j] = best;
            }
            double max = row[chosen[0]], total = 0;
            for (int j = 0; j < _topK; j++) total += Math.Exp(row[chosen[j]] - max);
            for (int j = 0; j < _topK; j++)
            {
                float weight = (float)(Math.Exp(row[chosen[j]] - max) / total);
                weights[t * _topK + j] = roundToBf16 ? Bf16.Round(weight) : weight;
            }
        }
        return new ExpertSelection(tokens, _topK, selected, weights);
    }
}
