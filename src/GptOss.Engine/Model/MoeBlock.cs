using GptOss.Engine.Checkpoints;
using GptOss.Engine.Kernels;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn.functional;

namespace GptOss.Engine.Model;

/// <summary>
/// Pre-norm mixture of experts: a biased router picks the top-k experts per token (ties → lower index), weights them by
/// a softmax over the selected logits only, and the experts' outputs are summed into the residual. One decoded token on
/// the CPU runs on raw float32 rows (no tensor temporaries), rounded to BF16 where the tensor path stores BF16.
/// </summary>
internal sealed unsafe class MoeBlock
{
    private readonly RmsNorm _norm;
    private readonly Linear _router;
    private readonly int _topK;
    private readonly IMoeExperts _experts;
    private readonly int _hidden, _expertCount;

    public MoeBlock(WeightLoader w, int layer, Func<MoeExpertWeights, IMoeExperts> experts)
    {
        var c = w.Checkpoint.Config;
        var n = w.Names;
        long h = c.HiddenSize, e = c.NumLocalExperts, i = c.IntermediateSize;
        _topK = c.NumExpertsPerTok;
        (_hidden, _expertCount) = ((int)h, (int)e);
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
        if (decode && x.shape[0] == 1 && DecodesOnCpu) return DecodeOnCpu(x.contiguous(), (CpuMoeExperts)_experts);
        var h = _norm.Forward(x);
        return x + _experts.Forward(h, Select(_router.Forward(h)), decode);
    }

    /// <summary>Whether one decoded token takes the raw float32 path (CPU experts and a router GEMV kernel).</summary>
    public bool DecodesOnCpu => _experts is CpuMoeExperts && _router.HasKernel;

    private Tensor DecodeOnCpu(Tensor x, CpuMoeExperts experts)
    {
        bool bf16 = x.dtype == ScalarType.BFloat16;
        var rows = experts.Scratch.DecodeRows(_hidden, _expertCount);
        var output = torch.empty_like(x);
        ActivationRow.Read(MappedTensor.Data(x), rows.Residual, _hidden, bf16);
        _norm.Forward(rows.Residual, rows.Normed, _hidden, bf16);
        _router.Gemv(rows.Normed, rows.Logits);
        ActivationRow.Round(rows.Logits, _expertCount, bf16);
        Span<int> chosen = stackalloc int[_topK];
        Span<float> weights = stackalloc float[_topK];
        SelectOne(new ReadOnlySpan<float>(rows.Logits, _expertCount), chosen, weights, bf16);
        experts.Decode(rows.Normed, chosen, weights, rows.Experts);
        ActivationRow.Round(rows.Experts, _hidden, bf16);
        for (int i = 0; i < _hidden; i++) rows.Residual[i] += rows.Experts[i];
        ActivationRow.Write(rows.Residual, MappedTensor.Data(output), _hidden, bf16);
        GC.KeepAlive(x);
        return output;
    }

    private ExpertSelection Select(Tensor routerLogits)
    {
        int tokens = (int)routerLogits.shape[0], experts = (int)routerLogits.shape[1];
        var logits = routerLogits.to(ScalarType.Float32).cpu().data<float>().ToArray();
        var selected = new int[tokens * _topK];
        var weights = new float[tokens * _topK];
        bool roundToBf16 = routerLogits.dtype == ScalarType.BFloat16;
        for (int t = 0; t < tokens; t++)
            SelectOne(logits.AsSpan(t * experts, experts), selected.AsSpan(t * _topK, _topK), weights.AsSpan(t * _topK, _topK), roundToBf16);
        return new ExpertSelection(tokens, _topK, selected, weights);
    }

    /// <summary>One token's top-k experts (ties → lower index) and their softmax weights over the selected logits.</summary>
    private static void SelectOne(ReadOnlySpan<float> row, Span<int> chosen, Span<float> weights, bool roundToBf16)
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
            weights[j] = roundToBf16 ? Bf16.Round(weight) : weight;
        }
    }

}
