using GptOss.Engine.Kernels;
using GptOss.Engine.Model;
using GptOss.Engine.Tests.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace GptOss.Engine.Tests;

/// <summary>
/// E8M0 block scales, 255 included, as gpt-oss's reference decodes them: <c>torch.ldexp(FP4[code], s - 127)</c>
/// (gpt_oss/torch/weights.py), run here by libtorch itself. 255 overflows to +∞, so its block's weights are ±∞ and its
/// zero codes NaN; the tensor dequantizer, the kernels' dequantizers and the fused dot products all follow it.
/// </summary>
public sealed unsafe class Mxfp4ScaleTests
{
    private static readonly byte[] EdgeScales = [0, 1, 127, 254, 255];

    /// <summary>Every byte value (both nibbles of every code) under each edge scale: 16 blocks per scale.</summary>
    private static (byte[] Blocks, byte[] Scales) EveryCodeUnderEachScale()
    {
        var blocks = new byte[EdgeScales.Length * 256];
        var scales = new byte[EdgeScales.Length * 16];
        for (int i = 0; i < blocks.Length; i++) blocks[i] = (byte)i;
        for (int g = 0; g < scales.Length; g++) scales[g] = EdgeScales[g / 16];
        return (blocks, scales);
    }

    /// <summary>The reference's decode in <paramref name="type"/>: the FP4 table in that dtype, ldexp, stored in that dtype.</summary>
    private static float[] ReferenceDequantize(byte[] blocks, byte[] scales, ScalarType type)
    {
        using var scope = torch.NewDisposeScope();
        var lut = torch.tensor(Fp4.Values.ToArray()).to(type);
        var packed = torch.tensor(blocks).to(ScalarType.Int64).view(scales.Length, 16);
        var codes = torch.stack([packed.bitwise_and(15), packed.bitwise_right_shift(4)], -1).view(scales.Length, 32);
        var exponents = torch.tensor(scales).to(ScalarType.Int32).view(scales.Length, 1) - 127;
        var values = torch.ldexp(lut.index_select(0, codes.view(-1)).view(scales.Length, 32), exponents).to(type);
        return values.to(ScalarType.Float32).contiguous().data<float>().ToArray();
    }

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.BFloat16)]
    public void The_tensor_dequantizer_decodes_as_the_reference(ScalarType type)
    {
        var (blocks, scales) = EveryCodeUnderEachScale();
        var expected = ReferenceDequantize(blocks, scales, type);
        using var scope = torch.NewDisposeScope();
        var weights = new Mxfp4(CPU).Dequantize(torch.tensor(blocks).view(1, scales.Length, 16), torch.tensor(scales).view(1, scales.Length), type);

        AssertSameValues(expected, weights.to(ScalarType.Float32).contiguous().data<float>().ToArray());
    }

    public static TheoryData<string> Isas() => new(KernelIsas.Supported.Select(i => i.ToString()));

    [Theory]
    [MemberData(nameof(Isas))]
    public void The_kernel_dequantizers_decode_as_the_reference(string isaName)
    {
        var isa = Enum.Parse<KernelIsa>(isaName);
        var (blocks, scales) = EveryCodeUnderEachScale();
        using var w = new Mxfp4Data(blocks, scales, 1, scales.Length * 32);
        using var f32 = new NativeArray<float>(w.Cols);
        using var bf16 = new NativeArray<ushort>(w.Cols);
        using var pool = new KernelThreadPool(1);
        using var kernels = new CpuKernels(pool, isa);

        kernels.Dequantize(w.Matrix, 0, 1, f32.Pointer);
        kernels.Dequantize(w.Matrix, 0, 1, bf16.Pointer);

        AssertSameValues(ReferenceDequantize(blocks, scales, ScalarType.Float32), f32.ToArray());
        AssertSameValues(ReferenceDequantize(blocks, scales, ScalarType.BFloat16), bf16.ToArray().Select(b => (float)Reference.Bf16(b)).ToArray());
    }

    public static TheoryData<string, string> IsaActivationCases() => Mxfp4GemvTests.IsaActivationCases();

    /// <summary>
    /// A row whose second block has scale 255 gives what a matmul over the reference's weights gives: NaN where the block
    /// holds a zero code (0·∞), meets a zero activation, or mixes +∞ and −∞ products; else ±∞ — never a finite number.
    /// Through the GEMV (both activation forms), the small-batch GEMM and the fused expert block.
    /// </summary>
    [Theory]
    [MemberData(nameof(IsaActivationCases))]
    public void Fused_kernels_give_a_scale_255_block_the_references_infinities(string isaName, string activationsName)
    {
        var isa = Enum.Parse<KernelIsa>(isaName);
        var activations = Enum.Parse<Mxfp4Activations>(activationsName);
        const int Cols = 64, Rows = 4;
        var blocks = new byte[Rows * 32];
        blocks.AsSpan().Fill(0x22);                   // every weight code 2 (+1.0)
        blocks[0 * 32 + 16] = 0x20;                   // row 0: one zero code in the 255 block → NaN
        for (int j = 16; j < 32; j++) blocks[2 * 32 + j] = 0xAA;   // row 2: the 255 block all −1.0 → −∞
        blocks[3 * 32 + 20] = 0xA2;                   // row 3: +∞ and −∞ products in one block → NaN
        var scales = new byte[] { 127, 255, 127, 255, 127, 255, 127, 255 };
        var x = Enumerable.Repeat(0.25f, Cols).ToArray();
        using var w = new Mxfp4Data(blocks, scales, Rows, Cols);
        float[] expected = [float.NaN, float.PositiveInfinity, float.NegativeInfinity, float.NaN];
        using var pool = new KernelThreadPool(2);
        using var kernels = new CpuKernels(pool, isa, activations);
        using var xs = new NativeArray<float>(x);
        using var y = new NativeArray<float>(Rows);

        kernels.Gemv(w.Matrix, xs.Pointer, y.Pointer);
        AssertSameValues(expected, y.ToArray());

        kernels.Gemv(w.Matrix.WithScaleBounds(), xs.Pointer, y.Pointer);
        AssertSameValues(expected, y.ToArray());

        using var twoTokens = new NativeArray<float>([.. x, .. x]);
        using var gemm = new NativeArray<float>(2 * Rows);
        kernels.Gemm(w.Matrix, twoTokens.Pointer, 2, gemm.Pointer);
        AssertSameValues([.. expected, .. expected], gemm.ToArray());

        // Row 1 with a zero activation meets +∞ · 0.
        x[40] = 0;
        using var withZero = new NativeArray<float>(x);
        kernels.Gemv(w.Matrix, withZero.Pointer, y.Pointer);
        Assert.True(float.IsNaN(y.AsSpan()[1]), $"+∞ · 0 gave {y.AsSpan()[1]}");
    }

    /// <summary>The expert block of one token whose expert has a scale-255 block in its gate/up weights: no finite output.</summary>
    [Theory]
    [MemberData(nameof(IsaActivationCases))]
    public void The_fused_expert_block_propagates_a_scale_255_block(string isaName, string activationsName)
    {
        var isa = Enum.Parse<KernelIsa>(isaName);
        var activations = Enum.Parse<Mxfp4Activations>(activationsName);
        const int Hidden = 64, Intermediate = 64;
        var random = new Random(9);
        using var gateUp = Mxfp4Data.Random(random, 2 * Intermediate, Hidden);
        using var down = Mxfp4Data.Random(random, Hidden, Intermediate);
        gateUp.Matrix.Scales[0] = 255;   // row 0 (gate of activation 0), first block: its zero code gives NaN
        gateUp.Matrix.Blocks[0] = 0x00;
        using var h = new NativeArray<float>(Reference.Normal(random, Hidden));
        using var output = new NativeArray<float>(Hidden);
        using var pool = new KernelThreadPool(2);
        using var kernels = new CpuKernels(pool, isa, activations);
        var experts = new Mxfp4Experts(gateUp.Matrix.Blocks, gateUp.Matrix.Scales, Bias.None, down.Matrix.Blocks, down.Matrix.Scales, Bias.None,
            1, Hidden, Intermediate);

        kernels.Experts(experts, h.Pointer, [0], [1f], output.Pointer);

        Assert.All(output.ToArray(), v => Assert.False(float.IsFinite(v), $"finite output {v} from a scale-255 block"));
    }

    /// <summary>Equal values with the sign of zero; any NaN matches any NaN (its payload is not the reference's concern).</summary>
    private static void AssertSameValues(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(float.IsNaN(expected[i]) ? float.IsNaN(actual[i]) : BitConverter.SingleToUInt32Bits(expected[i]) == BitConverter.SingleToUInt32Bits(actual[i]),
                $"element {i} (scale {EdgeScaleOf(i, expected.Length)}): expected {expected[i]:R}, got {actual[i]:R}");
    }

    private static string EdgeScaleOf(int element, int count) => count == EdgeScales.Length * 512 ? EdgeScales[element / 512].ToString() : "-";
}
