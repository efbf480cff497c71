using GptOss.Engine.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace GptOss.Engine.Model;

/// <summary>
/// MXFP4 (OCP MX, blocks of 32): each byte holds two E2M1 codes (<see cref="Fp4"/>), the even element in the low nibble;
/// each block has one E8M0 scale (<see cref="Fp.E8M0"/>). Dequantizes by tensor lookups on the weights' device.
/// </summary>
internal sealed class Mxfp4
{
    private readonly Tensor _bytePairs;   // [256, 2] on the device: (value of low nibble, value of high nibble)
    private readonly Tensor _scales;      // [256] on the device

    public Mxfp4(Device device)
    {
        var pairs = new float[512];
        for (int b = 0; b < 256; b++)
        {
            pairs[2 * b] = Fp4.Values[b & 15];
            pairs[2 * b + 1] = Fp4.Values[b >> 4];
        }
        _bytePairs = torch.tensor(pairs, [256, 2], device: device).DetachFromDisposeScope();
        _scales = torch.tensor(Enumerable.Range(0, 256).Select(s => Fp.E8M0((byte)s)).ToArray(), device: device).DetachFromDisposeScope();
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
