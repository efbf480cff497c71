using System.Text.Json;
using GptOss.Engine.Checkpoints;
using GptOss.Engine.Model;
using GptOss.Testing;
using TorchSharp;

namespace GptOss.Engine.Tests;

/// <summary>YaRN inverse frequencies and concentration as the reference computed them for each fixture's config.</summary>
public sealed class RotaryEmbeddingTests
{
    [Theory, MemberData(nameof(FixtureExactnessTests.Fixtures), MemberType = typeof(FixtureExactnessTests))]
    public void YarnTablesMatchTheReference(string fixture)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(TestPaths.TinyExpected(fixture, "f32")));
        var rope = doc.RootElement.GetProperty("meta").GetProperty("rope");
        using var checkpoint = Checkpoint.Open(TestPaths.TinyFixture(fixture));
        var ours = new RotaryEmbedding(checkpoint.Config, 8, torch.CPU);
        Assert.Equal(rope.GetProperty("concentration").GetDouble(), ours.Concentration, 12);
        var expected = rope.GetProperty("inv_freq").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        Assert.Equal(expected.Length, ours.InverseFrequencies.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(ours.InverseFrequencies[i] - expected[i]) <= 1e-6 * expected[i], $"inv_freq[{i}] {ours.InverseFrequencies[i]} vs {expected[i]}");
    }

    /// <summary>A decoded row is rotated in place with the tensor path's operations: the same bits in both dtypes.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public unsafe void RowRotationMatchesTheTensorPathBitForBit(bool bf16)
    {
        using var checkpoint = Checkpoint.Open(TestPaths.TinyFixture("sharded-c"));
        var config = checkpoint.Config with { HeadDim = 40 };   // 20 pairs per head: a vector of 16 and a scalar tail of 4
        var rope = new RotaryEmbedding(config, 16, torch.CPU);
        const int Heads = 3, Position = 11;
        var type = bf16 ? torch.ScalarType.BFloat16 : torch.ScalarType.Float32;
        using var x = (torch.randn([1, Heads, 40], generator: new torch.Generator(7)) * 3).to(type);
        using var expected = rope.Apply(x, Position).to(torch.ScalarType.Float32).contiguous();
        using var row = x.to(torch.ScalarType.Float32).contiguous();

        rope.Apply((float*)MappedTensor.Data(row), Heads, Position, bf16);

        Assert.Equal(Bits(expected), Bits(row));
    }

    private static uint[] Bits(torch.Tensor t) => t.data<float>().ToArray().Select(BitConverter.SingleToUInt32Bits).ToArray();

    [Fact]
    public void TruncateTrueChangesTheMiddleFrequenciesAsTransformersDoes()
    {
        using var checkpoint = Checkpoint.Open(TestPaths.TinyFixture("sharded-c"));
        var config = checkpoint.Config;
        var exact = new RotaryEmbedding(config, 8, torch.CPU).InverseFrequencies;
        var truncated = new RotaryEmbedding(config with { RopeScaling = config.RopeScaling! with { Truncate = true } }, 8, torch.CPU).InverseFrequencies;
        Assert.Equal(exact[0], truncated[0]);
        Assert.Equal(exact[^1], truncated[^1]);
        Assert.Contains(exact.Zip(truncated), p => Math.Abs(p.First - p.Second) > 1e-3 * p.First);
    }
}
