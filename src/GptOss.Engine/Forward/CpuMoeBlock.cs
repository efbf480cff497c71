using GptOss.Engine.Checkpoints;
using GptOss.Engine.Kernels;
using GptOss.Engine.Model;
using TorchSharp;

namespace GptOss.Engine.Forward;

/// <summary>
/// A MoE block on the CPU (see <see cref="TensorMoeBlock"/> for the math). Decoded rows (one per sequence of a batch) run on raw float32 rows
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

    /// <summary>
    /// <c>x += MoE(RMSNorm(x))</c> for the float32 rows of <paramref name="residuals"/> [count, H] (rounded to the
    /// activation dtype: what the tensor pass stores): the router reads its weights once for all rows, the experts each
    /// row of the union of their selections once. A row's result is what it gets alone.
    /// </summary>
    public void Decode(float* residuals, int count, bool bf16)
    {
        long phase = DecodePhases.Start();
        int experts = _router.Rows;
        var rows = _experts.Scratch.DecodeRows(count, _hidden, experts, _topK);
        for (int i = 0; i < count; i++) _w.Norm.Forward(residuals + (long)i * _hidden, rows.Normed + (long)i * _hidden, _hidden, bf16);
        _router.Apply(rows.Normed, rows.Logits, count);
        ActivationRow.Round(rows.Logits, count * experts, bf16);
        for (int i = 0; i < count; i++)
            ExpertSelection.SelectOne(new ReadOnlySpan<float>(rows.Logits + (long)i * experts, experts),
                rows.Chosen.AsSpan(i * _topK, _topK), rows.Weights.AsSpan(i * _topK, _topK), bf16);
        DecodePhases.End(DecodePhases.Router, ref phase);
        _experts.Decode(rows.Normed, count, rows.Chosen.AsSpan(0, count * _topK), rows.Weights.AsSpan(0, count * _topK), rows.Experts);
        long all = (long)count * _hidden;
        ActivationRow.Round(rows.Experts, (int)all, bf16);
        for (long i = 0; i < all; i++) residuals[i] += rows.Experts[i];
        ActivationRow.Round(residuals, (int)all, bf16);
        DecodePhases.End(DecodePhases.Experts, ref phase);
    }
}
