using TorchSharp;

namespace GptOss.Engine.Model;

/// <summary>
/// The experts of one MoE layer: <c>Σ_e w_e · (W2[e] · SwiGLU(W1[e] · h + b1[e]) + b2[e])</c> over each token's selected
/// experts. The seam where MXFP4 kernels plug in; everything around it (norm, router, residual) stays the same.
/// </summary>
internal interface IMoeExperts
{
    /// <summary>
    /// <paramref name="hidden"/> [T, H] (normed, activation dtype) → [T, H] in the same dtype. <paramref name="decode"/>:
    /// one token generated after the cache (bandwidth-bound), as opposed to a prompt's tokens (compute-bound).
    /// </summary>
    torch.Tensor Forward(torch.Tensor hidden, ExpertSelection selection, bool decode);
}

/// <summary>
/// The router's choice for T tokens, on the host: for token t, slot j (0..k-1), expert <c>Experts[t·k+j]</c> with
/// weight <c>Weights[t·k+j]</c> (softmax over the k selected logits, already rounded to the activation dtype).
/// </summary>
internal sealed record ExpertSelection(int TokenCount, int TopK, int[] Experts, float[] Weights);

/// <summary>One layer's packed expert tensors, as stored: rows are output units, MXFP4 blocks run along the input.</summary>
internal sealed record MoeExpertWeights(
    torch.Tensor GateUpBlocks,   // U8 [E, 2I, H/32, 16]  (even rows gate, odd rows up)
    torch.Tensor GateUpScales,   // U8 [E, 2I, H/32]
    torch.Tensor GateUpBias,     // [E, 2I], activation dtype
    torch.Tensor DownBlocks,     // U8 [E, H, I/32, 16]
    torch.Tensor DownScales,     // U8 [E, H, I/32]
    torch.Tensor DownBias,       // [E, H], activation dtype
    float SwigluLimit);
