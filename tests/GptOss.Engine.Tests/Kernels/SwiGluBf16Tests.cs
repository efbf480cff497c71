using System.Runtime.Intrinsics;
using GptOss.Engine.Kernels;

namespace GptOss.Engine.Tests.Kernels;

/// <summary>
/// <see cref="SwiGlu.Bf16"/> (the tile GEMM's SwiGLU) against the BF16 tensor ops it stands for, written one value at a
/// time: each op in float32 and rounded to BF16, clamps passing NaN through as torch's do.
/// </summary>
public sealed class SwiGluBf16Tests
{
    [Fact]
    public void Rounds_each_op_to_bf16_like_the_tensor_ops()
    {
        var random = new Random(3);
        var gates = new float[4096];
        var ups = new float[gates.Length];
        for (int i = 0; i < gates.Length; i++)
        {
            gates[i] = Fp.RoundToBf16((float)(random.NextDouble() * 24 - 12));
            ups[i] = Fp.RoundToBf16((float)(random.NextDouble() * 24 - 12));
        }
        int differing = 0;
        for (int i = 0; i < gates.Length; i += 16)
        {
            var actual = SwiGlu.Bf16(Vector512.Create(gates, i), Vector512.Create(ups, i), SwiGlu.Limit);
            for (int j = 0; j < 16; j++)
            {
                float expected = Reference(gates[i + j], ups[i + j]);
                float value = actual.GetElement(j);
                Assert.Equal(value, Fp.RoundToBf16(value));
                if (value == expected) continue;
                differing++;
                // Only where the vector exp and MathF.Exp differ in float32's last bit and the sigmoid's BF16 rounding tips.
                Assert.True(Math.Abs(value - expected) <= Math.Abs(expected) * Math.ScaleB(1.0, -6), $"gate {gates[i + j]}, up {ups[i + j]}: {value} vs {expected}");
            }
        }
        // Measured: 0 of 4096 here; the allowance is for another exp implementation.
        Assert.True(differing <= gates.Length / 100, $"{differing} of {gates.Length} values differ from the op-by-op reference");
    }

    [Fact]
    public void Clamps_infinities_and_keeps_nan()
    {
        var gates = Vector512.Create([float.NaN, 1f, float.PositiveInfinity, 1f, float.NegativeInfinity, 2f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f]);
        var ups = Vector512.Create([1f, float.NaN, 1f, float.PositiveInfinity, 1f, float.NegativeInfinity, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f]);
        var result = SwiGlu.Bf16(gates, ups, SwiGlu.Limit);
        for (int j = 0; j < 6; j++)
        {
            float expected = Reference(gates.GetElement(j), ups.GetElement(j));
            float actual = result.GetElement(j);
            Assert.True(float.IsNaN(expected) ? float.IsNaN(actual) : actual == expected, $"gate {gates.GetElement(j)}, up {ups.GetElement(j)}: {actual} vs {expected}");
        }
    }

    /// <summary>The tensor pass's ops on one value: clamp_max / clamp (NaN stays NaN), then each op rounded to BF16.</summary>
    private static float Reference(float gate, float up)
    {
        float glu = float.IsNaN(gate) ? gate : Math.Min(gate, SwiGlu.Limit);
        float lin = float.IsNaN(up) ? up : Math.Clamp(up, -SwiGlu.Limit, SwiGlu.Limit);
        float scaled = Fp.RoundToBf16(glu * SwiGlu.Alpha);
        float sigmoid = Fp.RoundToBf16(1f / (1f + MathF.Exp(-scaled)));
        return Fp.RoundToBf16(Fp.RoundToBf16(glu * sigmoid) * Fp.RoundToBf16(lin + 1f));
    }
}
