using TorchSharp;

namespace GptOss.Engine.Model;

/// <summary>
/// The experts of one MoE layer over a batch of tokens: <c>Σ_e w_e · (W2[e] · SwiGLU(W1[e] · h + b1[e]) + b2[e])</c> over
/// each token's selected experts, on tensors. Everything around it (norm, router, residual) is the block's.
/// </summary>
internal interface IMoeExperts
{
    /// <summary><paramref name="hidden"/> [T, H] (normed, activation dtype) → [T, H] in the same dtype.</summary>
    torch.Tensor Forward(torch.Tensor hidden, ExpertSelection selection);
}

/// <summary>One layer's packed expert tensors, as stored: rows are output units, MXFP4 blocks run along the input.</summary>
internal sealed record MoeExpertWeights(
    torch.Tensor GateUpBlocks,   // U8 [E, 2I, H/32, 16]  (even rows gate, odd rows up)
    torch.Tensor GateUpScales,   // U8 [E, 2I, H/32]
    torch.Tensor GateUpBias,     // [E, 2I], activation dtype
    torch.Tensor DownBlocks,     // U8 [E, H, I/32, 16]
    torch.Tensor DownScales,     // U8 [E, H, I/32]
    torch.Tensor DownBias,       // [E, H], activation dtype
    float SwigluLimit);
