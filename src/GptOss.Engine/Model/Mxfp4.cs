using GptOss.Engine.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace GptOss.Engine.Model;

/// <summary>
/// MXFP4 (OCP MX, blocks of 32): each byte holds two E2M1 codes, the even element in the low nibble; each block has
/// one E8M0 scale <c>2^(s-127)</c>. On the CPU an expert is dequantized by table lookups straight into a reusable
/// buffer (no allocation per call); on other devices by tensor lookups on that device.
/// </summary>
internal sealed unsafe class Mxfp4
{
    public static readonly float[] CodeValues = [0f, 0.5f, 1f, 1.5f, 2f, 3f, 4f, 6f, -0f, -0.5f, -1f, -1.5f, -2f, -3f, -4f, -6f];

    // For every scale byte s, the 16 code values times 2^(s-127): as float32 and as bfloat16 bits (exact in both).
    private static readonly float[] Float32Table = new float[256 * 16];
    private static readonly ushort[] BFloat16Table = new ushort[256 * 16];

    private readonly Tensor _bytePairs;   // [256, 2] on the device: (value of low nibble, value of high nibble)
    private readonly Tensor _scales;      // [256] on the device
    private readonly Dictionary<(int Slot, long Rows, long Columns, ScalarType Type), Tensor> _buffers = [];

    static Mxfp4()
    {
        for (int s = 0; s < 256; s++)
            for (int c = 0; c < 16; c++)
            {
                float value = CodeValues[c] * Scale(s);
                Float32Table[s * 16 + c] = value;
                BFloat16Table[s * 16 + c] = Bf16.FromFloat(value);
            }
    }

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

    /// <summary>
    /// Packed <paramref name="blocks"/> [R, G, 16] and <paramref name="scales"/> [R, G] → weights [R, G·32]. On the CPU
    /// the result is a buffer owned by this object and reused by the next call with the same <paramref name="slot"/>.
    /// </summary>
    public Tensor Dequantize(Tensor blocks, Tensor scales, ScalarType type, int slot)
    {
        long rows = blocks.shape[0], groups = blocks.shape[1];
        if (blocks.device.type != DeviceType.CPU || type is not (ScalarType.Float32 or ScalarType.BFloat16))
        {
            var values = _bytePairs.index_select(0, blocks.reshape(-1).to(ScalarType.Int32)).view(rows, groups, 32);
            var multipliers = _scales.index_select(0, scales.reshape(-1).to(ScalarType.Int32)).view(rows, groups, 1);
            return (values * multipliers).view(rows, groups * 32).to(type);
        }
        var key = (slot, rows, groups * 32, type);
        if (!_buffers.TryGetValue(key, out var buffer))
            _buffers[key] = buffer = torch.empty([rows, groups * 32], type).DetachFromDisposeScope();
        var blockBytes = (byte*)MappedTensor.THSTensor_data(blocks.contiguous().Handle);
        var scaleBytes = (byte*)MappedTensor.THSTensor_data(scales.contiguous().Handle);
        var output = MappedTensor.THSTensor_data(buffer.Handle);
        long rowsPerTask = Math.Max(1, rows / (4 * Environment.ProcessorCount));
        Parallel.For(0, (rows + rowsPerTask - 1) / rowsPerTask, task =>
        {
            long first = task * rowsPerTask, last = Math.Min(rows, first + rowsPerTask);
            for (long g = first * groups; g < last * groups; g++)
            {
                byte* src = blockBytes + g * 16;
                int table = scaleBytes[g] * 16;
                if (type == ScalarType.BFloat16)
                {
                    ushort* dst = (ushort*)output + g * 32;
                    fixed (ushort* t = &BFloat16Table[table])
                        for (int j = 0; j < 16; j++) { dst[2 * j] = t[src[j] & 15]; dst[2 * j + 1] = t[src[j] >> 4]; }
                }
                else
                {
                    float* dst = (float*)output + g * 32;
                    fixed (float* t = &Float32Table[table])
                        for (int j = 0; j < 16; j++) { dst[2 * j] = t[src[j] & 15]; dst[2 * j + 1] = t[src[j] >> 4]; }
                }
            }
        });
        GC.KeepAlive(blocks);
        GC.KeepAlive(scales);
        return buffer;
    }
}
