using GptOss.Engine.Checkpoints;
using GptOss.Engine.Kernels;
using GptOss.Engine.Model;
using TorchSharp;

namespace GptOss.Engine.Forward;

/// <summary>
/// A MoE block on the CPU (see <see cref="TensorMoeBlock"/> for the math). A decoded row runs on raw float32 rows
/// (norm, router GEMV, top-k, the fused expert kernel, residual) with no tensor temporaries, rounded to BF16 where the
/// tensor pass stores BF16; a prompt's rows take the tensor block's steps around the batched CPU experts.
/// </summary>
internal sealed unsafe class CpuMoeBlock
{
    private readonly MoeWeights _w;
    private readonly RowProjection _router;
    private readonly CpuMoeExperts _experts;
    private readonly int _topK, _hidden;

    public CpuMoeBlock(MoeWeights weights, CpuExpertScratch scratch, ModelConfig config)
    {
        _w = weights;
        _router = new RowProjection(weights.Router, scratch.Kernels);
        _experts = new CpuMoeExperts(weights.Experts, scratch);
        (_topK, _hidden) = (config.NumExpertsPerTok, config.HiddenSize);
    }

    /// <summary>
    /// <c>x + MoE(RMSNorm(x))</c> for <paramref name="x"/> [T, H]. Always the batched experts, even for a one-token rest
    /// after a reused prefix, so a prompt's cache does not depend on how much of it was reused (sampling at a
    /// temperature is sensitive to the last bit).
    /// </summary>
    public torch.Tensor Prefill(torch.Tensor x)
    {
        var h = _w.Norm.Forward(x);
        return x + _experts.Forward(h, ExpertSelection.Of(_router.Forward(h), _topK));
    }

    /// <summary><c>x += MoE(RMSNorm(x))</c> for one float32 row (rounded to the activation dtype: what the tensor pass stores).</summary>
    public void Decode(float* residual, bool bf16)
    {
        var rows = _experts.Scratch.DecodeRows(_hidden, _router.Rows);
        _w.Norm.Forward(residual, rows.Normed, _hidden, bf16);
        _router.Apply(rows.Normed, rows.Logits);
        ActivationRow.Round(rows.Logits, _router.Rows, bf16);
        Span<int> chosen = stackalloc int[_topK];
        Span<float> weights = stackalloc float[_topK];
        ExpertSelection.SelectOne(new ReadOnlySpan<float>(rows.Logits, _router.Rows), chosen, weights, bf16);
        _experts.Decode(rows.Normed, chosen, weights, rows.Experts);
        ActivationRow.Round(rows.Experts, _hidden, bf16);
        for (int i = 0; i < _hidden; i++) residual[i] += rows.Experts[i];
        ActivationRow.Round(residual, _hidden, bf16);
    }
}
