using TorchSharp;
using static TorchSharp.torch;

namespace GptOss.Engine.Model;

/// <summary>
/// MXFP4 (OCP MX, blocks of 32): each byte holds two E2M1 codes, the even element in the low nibble; each block has
/// one E8M0 scale <c>2^(s-127)</c>. Dequantizes by tensor lookups on the weights' device (the CPU uses the kernels).
/// </summary>
internal sealed class Mxfp4
{
    private static readonly float[] CodeValues = [0f, 0.5f, 1f, 1.5f, 2f, 3f, 4f, 6f, -0f, -0.5f, -1f, -1.5f, -2f, -3f, -4f, -6f];

    private readonly Tensor _bytePairs;   // [256, 2] on the device: (value of low nibble, value of high nibble)
    private readonly Tensor _scales;      // [256] on the device

    /// <summary>E8M0: 2^(s-127); 255 is NaN in the OCP spec.</summary>
    private static float Scale(int s) => s == 255 ? float.NaN : (float)Math.ScaleB(1.0, s - 127);

    public Mxfp4(Device device)
    {
        var pairs = new float[512];
        for (int b = 0; b < 256; b++)
        {
            pairs[2 * b] = CodeValues[b & 15];
            pairs[2 * b + 1] = CodeValues[b >> 4];
        }
        _bytePairs = torch.tensor(pairs, [256, 2], device: device).DetachFromDisposeScope();
        _scales = torch.tensor(Enumerable.Range(0, 256).Select(Scale).ToArray(), device: device).DetachFromDisposeScope();
    }

    /// <summary>Packed <paramref name="blocks"/> [R, G, 16] and <paramref name="scales"/> [R, G] → weights [R, G·32].</summary>
    public Tensor Dequantize(Tensor blocks, Tensor scales, ScalarType type)
    {
        long rows = blocks.shape[0], groups = blocks.shape[1];
        var values = _bytePairs.index_select(0, blocks.reshape(-1).to(ScalarType.Int32)).view(rows, groups, 32);
        var multipliers = _scales.index_select(0, scales.reshape(-1).to(ScalarType.Int32)).view(rows, groups, 1);
        return (values * multipliers).view(rows, groups * 32).to(type);
    }
}
