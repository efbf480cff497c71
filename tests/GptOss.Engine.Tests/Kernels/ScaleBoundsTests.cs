using GptOss.Engine.Kernels;

namespace GptOss.Engine.Tests.Kernels;

public sealed unsafe class ScaleBoundsTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(31)]
    [InlineData(32)]
    [InlineData(33)]
    [InlineData(90)]
    [InlineData(1000)]
    public void Finds_the_smallest_and_largest_scale(int count)
    {
        var random = new Random(count);
        var scales = new byte[count];
        for (int i = 0; i < count; i++) scales[i] = (byte)random.Next(100, 150);
        // The extremes sit at the end, where a vector loop hands over to its tail.
        scales[count - 1] = 3;
        scales[Math.Max(0, count - 2)] = count > 1 ? (byte)201 : scales[count - 1];
        using var data = new NativeArray<byte>(scales);

        var bounds = ScaleBounds.Of(data.Pointer, count);

        Assert.Equal(new ScaleBounds(scales.Min(), scales.Max()), bounds);
        Assert.Throws<ArgumentOutOfRangeException>(() => ScaleBounds.Of(data.Pointer, 0));
    }

    /// <summary>The plain exponent path needs E8M0 + the block's exponent within [1, 254] everywhere, and no 255.</summary>
    [Fact]
    public void Only_bounds_that_keep_every_multiplier_normal_take_the_plain_exponent_path()
    {
        var typical = new Int16Blocks(null, null, null, minExponent: -20, maxExponent: -8);
        Assert.True(Mxfp4Int16Dot.AllNormal(new ScaleBounds(124, 130), typical));
        Assert.True(Mxfp4Int16Dot.AllNormal(new ScaleBounds(21, 254), new Int16Blocks(null, null, null, -20, 0)));     // 1 and 254: the edges
        Assert.False(Mxfp4Int16Dot.AllNormal(new ScaleBounds(21, 254), new Int16Blocks(null, null, null, -20, 1)));
        Assert.False(Mxfp4Int16Dot.AllNormal(new ScaleBounds(20, 130), typical));          // 20 − 20 = 0: subnormal
        Assert.False(Mxfp4Int16Dot.AllNormal(new ScaleBounds(124, 255), typical));         // 255 is never plain
        Assert.False(Mxfp4Int16Dot.AllNormal(new ScaleBounds(124, 250), new Int16Blocks(null, null, null, -20, 5)));   // 255: infinite
        Assert.False(Mxfp4Int16Dot.AllNormal(new ScaleBounds(124, 130), new Int16Blocks(null, null, null)));   // bounds unknown
    }

    /// <summary>
    /// Every E8M0 exponent (0 and 255 included) against activations from 2^-100 to 2^100: a matrix whose scale bounds are
    /// known gives the same bits as one whose rows are scanned, whichever multiplier path each row takes.
    /// </summary>
    [Theory]
    [MemberData(nameof(Mxfp4GemvTests.IsaActivationCases), MemberType = typeof(Mxfp4GemvTests))]
    public void Known_bounds_give_the_bits_of_scanned_rows(string isaName, string activationsName)
    {
        var isa = Enum.Parse<KernelIsa>(isaName);
        var activations = Enum.Parse<Mxfp4Activations>(activationsName);
        const int cols = 96, rows = 6;
        var random = new Random(11);
        using var pool = new KernelThreadPool(2);
        using var kernels = new CpuKernels(pool, isa, activations);
        for (int exponent = 0; exponent < 256; exponent += rows - 1)
        {
            var scales = new byte[rows * cols / 32];
            for (int i = 0; i < scales.Length; i++) scales[i] = (byte)Math.Min(255, exponent + i % rows);
            using var w = new Mxfp4Data(Reference.RandomBytes(random, rows * cols / 2), scales, rows, cols);
            var known = w.Matrix.WithScaleBounds();
            Assert.Equal(new ScaleBounds(scales.Min(), scales.Max()), known.KnownScales);
            foreach (int xExponent in new[] { -100, -30, 0, 30, 100 })
            {
                var xValues = Reference.Normal(random, cols).Select(v => (float)Math.ScaleB(v, xExponent)).ToArray();
                using var x = new NativeArray<float>(xValues);
                using var scanned = new NativeArray<float>(rows);
                using var bounded = new NativeArray<float>(rows);

                kernels.Gemv(w.Matrix, x.Pointer, scanned.Pointer);
                kernels.Gemv(known, x.Pointer, bounded.Pointer);

                Assert.Equal(Bits(scanned), Bits(bounded));
            }
        }
    }

    [Fact]
    public void Experts_learn_the_bounds_of_the_experts_they_run()
    {
        const int experts = 3, hidden = 64, intermediate = 64;
        var random = new Random(5);
        using var gateUp = Mxfp4Data.Random(random, experts * 2 * intermediate, hidden);
        using var down = Mxfp4Data.Random(random, experts * hidden, intermediate);
        using var h = new NativeArray<float>(Reference.Normal(random, hidden));
        using var output = new NativeArray<float>(hidden);
        using var pool = new KernelThreadPool(2);
        using var kernels = new CpuKernels(pool, mxfp4Activations: Mxfp4Activations.Int16);
        var layer = new Mxfp4Experts(gateUp.Matrix.Blocks, gateUp.Matrix.Scales, Bias.None, down.Matrix.Blocks, down.Matrix.Scales, Bias.None,
            experts, hidden, intermediate);
        Assert.Null(layer.GateUp(2).KnownScales);

        kernels.Experts(layer, h.Pointer, [2], [1f], output.Pointer);

        long upBlocks = 2L * intermediate * hidden / 32, downBlocks = (long)hidden * intermediate / 32;
        Assert.Equal(ScaleBounds.Of(gateUp.Matrix.Scales + 2 * upBlocks, upBlocks), layer.GateUp(2).KnownScales);
        Assert.Equal(ScaleBounds.Of(down.Matrix.Scales + 2 * downBlocks, downBlocks), layer.Down(2).KnownScales);
        Assert.Null(layer.GateUp(0).KnownScales);
        Assert.Null(layer.Down(1).KnownScales);
    }

    private static uint[] Bits(NativeArray<float> values) => values.AsSpan().ToArray().Select(BitConverter.SingleToUInt32Bits).ToArray();
}
