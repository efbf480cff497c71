using GptOss.Engine.Checkpoints;
using GptOss.Engine.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace GptOss.Engine.Model;

/// <summary>
/// RoPE with YaRN context extension, half-split (NeoX) rotation. Tables are computed once, in float32 like every
/// reference: angle = position · inv_freq, cos/sin scaled by the YaRN concentration (applied to q and k alike).
/// </summary>
internal sealed unsafe class RotaryEmbedding
{
    private readonly Tensor _cos, _sin;
    private readonly int _half;

    public double Concentration { get; }
    public float[] InverseFrequencies { get; }
    public int MaxPositions { get; }

    public RotaryEmbedding(ModelConfig config, int maxPositions, Device device)
    {
        using var scope = NewDisposeScope();
        int headDim = config.HeadDim;
        _half = headDim / 2;
        MaxPositions = maxPositions;
        var freq = torch.pow(config.RopeTheta, torch.arange(0, headDim, 2, ScalarType.Float32) / headDim);
        Tensor inv;
        if (config.RopeScaling is { Factor: > 1 } yarn)
        {
            Concentration = 0.1 * Math.Log(yarn.Factor) + 1.0;
            double low = _half * Math.Log(yarn.OriginalMaxPositionEmbeddings / (yarn.BetaFast * 2 * Math.PI)) / Math.Log(config.RopeTheta);
            double high = _half * Math.Log(yarn.OriginalMaxPositionEmbeddings / (yarn.BetaSlow * 2 * Math.PI)) / Math.Log(config.RopeTheta);
            if (yarn.Truncate)
            {
                // transformers' default: an integer correction range, clipped to the dimensions.
                low = Math.Max(Math.Floor(low), 0);
                high = Math.Min(Math.Ceiling(high), headDim - 1);
            }
            if (high == low) high += 0.001;
            var interpolation = 1.0 / (freq * yarn.Factor);
            var extrapolation = 1.0 / freq;
            var ramp = (torch.arange(_half, ScalarType.Float32) - low) / (high - low);
            var mask = 1 - ramp.clamp(0, 1);
            inv = interpolation * (1 - mask) + extrapolation * mask;
        }
        else
        {
            Concentration = 1.0;
            inv = 1.0 / freq;
        }
        InverseFrequencies = inv.data<float>().ToArray();
        var angles = torch.outer(torch.arange(maxPositions, ScalarType.Float32), inv);
        _cos = (angles.cos() * Concentration).to(device).DetachFromDisposeScope();
        _sin = (angles.sin() * Concentration).to(device).DetachFromDisposeScope();
    }

    /// <summary>Rotates <paramref name="x"/> [T, heads, D] whose rows sit at positions start..start+T-1.</summary>
    public Tensor Apply(Tensor x, int start)
    {
        long count = x.shape[0];
        if (start + count > MaxPositions)
            throw new InvalidOperationException($"position {start + count - 1} is beyond the context length {MaxPositions}");
        var cos = _cos.narrow(0, start, count).unsqueeze(1).to(x.dtype);
        var sin = _sin.narrow(0, start, count).unsqueeze(1).to(x.dtype);
        var x1 = x.narrow(-1, 0, _half);
        var x2 = x.narrow(-1, _half, _half);
        return torch.cat([x1 * cos - x2 * sin, x2 * cos + x1 * sin], -1);
    }

    /// <summary>
    /// Rotates <paramref name="heads"/> rows of D floats at <paramref name="position"/> in place by the CPU tables
    /// (<see cref="RopeRow"/>); <paramref name="roundToBf16"/>: as the BF16 tensor path rounds.
    /// </summary>
    public void Apply(float* x, int heads, int position, bool roundToBf16)
    {
        if ((uint)position >= (uint)MaxPositions)
            throw new InvalidOperationException($"position {position} is beyond the context length {MaxPositions}");
        float* cos = (float*)MappedTensor.Data(_cos) + (long)position * _half;
        float* sin = (float*)MappedTensor.Data(_sin) + (long)position * _half;
        RopeRow.Rotate(x, heads, _half, cos, sin, roundToBf16);
        GC.KeepAlive(_cos);
        GC.KeepAlive(_sin);
    }
}
