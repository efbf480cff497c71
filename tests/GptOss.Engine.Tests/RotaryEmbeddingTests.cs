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
