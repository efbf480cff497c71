using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace GptOss.Engine.Tests;

/// <summary>Compares two versions of a block's contribution to the residual (output − x).</summary>
internal static class BlockOutputs
{
    /// <summary>
    /// Equal to float32 rounding, or in BF16 to two roundings of the largest contribution (both paths round at the
    /// same points; a sum in another order may flip a rounding).
    /// </summary>
    public static void AssertClose(Tensor expected, Tensor actual, ScalarType type, string what, ITestOutputHelper output)
    {
        double scale = expected.abs().max().to(ScalarType.Float64).item<double>();
        double diff = (actual - expected).abs().max().to(ScalarType.Float64).item<double>();
        double bar = (type == ScalarType.Float32 ? 1e-5 : 8e-3) * scale;
        output.WriteLine($"{what}: max |diff| {diff:E2} at max |contribution| {scale:E2}");
        Assert.True(scale > 1e-2, $"{what}: degenerate test data (max |contribution| {scale})");
        Assert.True(diff <= bar, $"{what}: max |diff| {diff} > {bar} (max |contribution| {scale})");
    }
}
