using GptOss.Engine.Model;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn.functional;

namespace GptOss.Engine.Forward;

/// <summary>
/// The tensor pass's experts (any device; the CPU pass uses <see cref="CpuMoeExperts"/>): for each expert some token selected,
/// dequantize only that expert's packed rows and run it once over all of its tokens; results are weighted and summed in
/// float32.
/// </summary>
internal sealed class DequantizingMoeExperts(MoeExpertWeights weights, Mxfp4 mxfp4) : IMoeExperts
{
    public Tensor Forward(Tensor hidden, ExpertSelection selection)
    {
        var type = hidden.dtype;
        var sum = torch.zeros([selection.TokenCount, hidden.shape[1]], ScalarType.Float32, hidden.device);
        foreach (var (expert, tokens, tokenWeights) in ExpertGroups.Of(selection))
        {
            var index = torch.tensor(tokens, device: hidden.device);
            var x = tokens.Length == selection.TokenCount && selection.TokenCount == 1 ? hidden : hidden.index_select(0, index);
            var gateUp = mxfp4.Dequantize(weights.GateUpBlocks[expert], weights.GateUpScales[expert], type);
            var activated = SwiGlu(linear(x, gateUp, weights.GateUpBias[expert]), weights.SwigluLimit);
            var down = mxfp4.Dequantize(weights.DownBlocks[expert], weights.DownScales[expert], type);
            var y = linear(activated, down, weights.DownBias[expert]);
            var w = torch.tensor(tokenWeights, [tokenWeights.Length, 1], device: hidden.device);
            sum.index_add_(0, index, y.to(ScalarType.Float32) * w, 1.0);
        }
        return sum.to(type);
    }

    /// <summary>Clamped SwiGLU over interleaved columns: gate = even, linear = odd; <c>gate·σ(α·gate)·(linear+1)</c>.</summary>
    public static Tensor SwiGlu(Tensor u, float limit)
    {
        long width = u.shape[^1];
        var glu = u.slice(-1, 0, width, 2).clamp_max(limit);
        var lin = u.slice(-1, 1, width, 2).clamp(-limit, limit);
        return glu * torch.sigmoid(glu * Checkpoints.ModelConfig.SwigluAlpha) * (lin + 1);
    }
}
