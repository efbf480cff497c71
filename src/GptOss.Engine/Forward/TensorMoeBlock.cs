using GptOss.Engine.Model;
using TorchSharp;

namespace GptOss.Engine.Forward;

/// <summary>
/// Pre-norm mixture of experts on tensors: the biased router picks each token's top-k experts (ties → lower index),
/// weighted by a softmax over the selected logits only; the experts' weighted sum goes into the residual.
/// </summary>
internal sealed class TensorMoeBlock(MoeWeights weights, IMoeExperts experts, int topK)
{
    /// <summary><c>x + MoE(RMSNorm(x))</c> for <paramref name="x"/> [T, H].</summary>
    public torch.Tensor Forward(torch.Tensor x)
    {
        var h = weights.Norm.Forward(x);
        return x + experts.Forward(h, ExpertSelection.Of(weights.Router.Forward(h), topK));
    }
}
