using GptOss.Engine.Kernels;

namespace GptOss.Engine.Tests.Kernels;

public sealed class DecodeBoundTests
{
    private static readonly ModelShape Gpt20b = new(Layers: 24, Hidden: 2880, QueryHeads: 64, KvHeads: 8, HeadDim: 64,
        Experts: 32, ExpertsPerToken: 4, Intermediate: 2880, Vocab: 201088);

    /// <summary>performance-notes.md derives ≈ 24·(53 + 53) MB + 1160 MB ≈ 3.7 GB for 20b, 1.58 GB for a 4-layer cut.</summary>
    [Theory]
    [InlineData(24, 3.70e9)]
    [InlineData(4, 1.58e9)]
    public void Matches_the_hand_derivation(int layers, double bytes)
    {
        long computed = DecodeBound.BytesPerToken(Gpt20b with { Layers = layers });
        Assert.InRange(computed, bytes * 0.98, bytes * 1.02);
    }

    /// <summary>A tiny shape with every tensor counted by hand.</summary>
    [Fact]
    public void Counts_each_touched_tensor()
    {
        var shape = new ModelShape(Layers: 2, Hidden: 64, QueryHeads: 2, KvHeads: 1, HeadDim: 32, Experts: 4, ExpertsPerToken: 2, Intermediate: 32, Vocab: 10);
        long qkv = (64 + 2 * 32) * 64 * 2 + (64 + 2 * 32) * 2, o = 64 * 64 * 2 + 64 * 2, sinks = 2 * 2, norms = 2 * 64 * 2;
        long router = 4 * 64 * 2 + 4 * 2;
        long gateUp = 64 * (64 / 32) * 17 + 64 * 2, down = 64 * (32 / 32) * 17 + 64 * 2;
        long layer = qkv + o + sinks + norms + router + 2 * (gateUp + down);
        long once = 64 * 2 + 64 * 2 + 10 * 64 * 2;
        Assert.Equal(2 * layer + once, DecodeBound.BytesPerToken(shape));
        Assert.Equal(1e9 / (2 * layer + once), DecodeBound.TokensPerSecond(shape, 1e9), 9);
    }

    /// <summary>The tiny shape's bytes by the phase that reads them, by hand; with the embedding row they are the step's bytes.</summary>
    [Fact]
    public void Splits_a_steps_bytes_by_phase()
    {
        var shape = new ModelShape(Layers: 2, Hidden: 64, QueryHeads: 2, KvHeads: 1, HeadDim: 32, Experts: 4, ExpertsPerToken: 2, Intermediate: 32, Vocab: 10);
        var phases = DecodeBound.PhaseBytesPerStep(shape, 1);
        long expert = 64 * (64 / 32) * 17 + 64 * 2 + 64 * (32 / 32) * 17 + 64 * 2;
        Assert.Equal(2.0 * ((64 + 2 * 32) * 64 * 2 + (64 + 2 * 32) * 2), phases[DecodePhases.Qkv]);
        Assert.Equal(2.0 * (64 * 64 * 2 + 64 * 2 + 2 * 2), phases[DecodePhases.Output]);
        Assert.Equal(2.0 * (2 * 64 * 2 + 4 * 64 * 2 + 4 * 2), phases[DecodePhases.Router]);
        Assert.Equal(2.0 * 2 * expert, phases[DecodePhases.Experts]);
        Assert.Equal(64 * 2 + 10 * 64 * 2, phases[DecodePhases.Unembedding]);
        Assert.Equal(DecodeBound.BytesPerToken(shape), phases.Values.Sum() + 64 * 2);
        Assert.Equal(DecodeBound.BytesPerStep(shape, 3), DecodeBound.PhaseBytesPerStep(shape, 3).Values.Sum() + 3 * 64 * 2, 6);
    }

    /// <summary>One sequence's step is one token's bytes; the tiny shape's two sequences read 4·(1 − (1/2)²) = 3 experts per layer.</summary>
    [Fact]
    public void A_step_of_several_sequences_reads_the_dense_weights_once_and_the_union_of_their_experts()
    {
        var shape = new ModelShape(Layers: 2, Hidden: 64, QueryHeads: 2, KvHeads: 1, HeadDim: 32, Experts: 4, ExpertsPerToken: 2, Intermediate: 32, Vocab: 10);
        Assert.Equal(DecodeBound.BytesPerToken(shape), DecodeBound.BytesPerStep(shape, 1));
        Assert.Equal(DecodeBound.BytesPerToken(Gpt20b), DecodeBound.BytesPerStep(Gpt20b, 1));
        long expert = 64 * (64 / 32) * 17 + 64 * 2 + 64 * (32 / 32) * 17 + 64 * 2, embeddingRow = 64 * 2;
        double two = DecodeBound.BytesPerToken(shape) + 2 * expert + embeddingRow;   // one more expert per layer, one more row
        Assert.Equal(two, DecodeBound.BytesPerStep(shape, 2), 6);
        Assert.Equal(2e9 / two, DecodeBound.AggregateTokensPerSecond(shape, 2, 1e9), 6);
    }

    /// <summary>The expected union against sampled routing: N sequences, each choosing k of E experts uniformly.</summary>
    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(8)]
    public void The_expected_union_matches_sampled_uniform_routing(int sequences)
    {
        var random = new Random(17);
        const int Trials = 20000;
        long distinct = 0;
        for (int t = 0; t < Trials; t++)
        {
            var chosen = new HashSet<int>();
            for (int s = 0; s < sequences; s++)
                foreach (int e in Enumerable.Range(0, Gpt20b.Experts).OrderBy(_ => random.Next()).Take(Gpt20b.ExpertsPerToken)) chosen.Add(e);
            distinct += chosen.Count;
        }
        double sampled = (double)distinct / Trials;
        var dense = Gpt20b with { ExpertsPerToken = 0 };   // the same model without its experts
        double expertBytes = (DecodeBound.BytesPerToken(Gpt20b) - DecodeBound.BytesPerToken(dense)) / (double)(Gpt20b.Layers * Gpt20b.ExpertsPerToken);
        double modelled = (DecodeBound.BytesPerStep(Gpt20b, sequences) - DecodeBound.BytesPerStep(dense, sequences)) / (Gpt20b.Layers * expertBytes);
        Assert.InRange(modelled, sampled - 0.05, sampled + 0.05);
    }
}

public sealed class MemoryBandwidthTests
{
    [Fact]
    public void Measures_a_finite_positive_rate()
    {
        double rate = MemoryBandwidth.MeasureReadBytesPerSecond(threads: 2, 16 << 20, repeats: 2);
        Assert.True(double.IsFinite(rate) && rate > 0, $"rate {rate}");
    }

    [Fact]
    public void Rejects_a_buffer_too_small_to_measure()
    {
        using var pool = new KernelThreadPool(1);
        Assert.Throws<ArgumentOutOfRangeException>(() => MemoryBandwidth.MeasureReadBytesPerSecond(pool, 1000));
    }
}
