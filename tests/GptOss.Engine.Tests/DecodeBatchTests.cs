using GptOss.Engine.Checkpoints;
using GptOss.Engine.Forward;
using GptOss.Engine.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace GptOss.Engine.Tests;

/// <summary>
/// The CPU pass's batched decode: sequences at different positions, decoded together step after step (their tokens fed
/// back greedily, the batch's order changing), give every logit bit they give when each is decoded alone through
/// <see cref="CpuForwardPass.DecodeOne"/> — in float32 and BF16, with a sliding window the prompts outgrow and eight
/// experts of which each token takes two (the batch's selections overlap in some layers and steps and not in others).
/// </summary>
public sealed class DecodeBatchTests : IDisposable
{
    private const int Context = 64, Rollback = 2, Steps = 6;
    private readonly TempDirectory _dir = WriteCheckpoint();

    private static TempDirectory WriteCheckpoint()
    {
        var dir = new TempDirectory();
        RandomCheckpoint.Write(dir.Path, new RandomCheckpointOptions
        {
            Seed = 17,
            Customize = c => c with { NumLocalExperts = 8, NumExpertsPerTok = 2, SlidingWindow = 3 },
        });
        return dir;
    }

    public static TheoryData<ScalarType, int> Cases()
    {
        var data = new TheoryData<ScalarType, int>();
        foreach (var type in new[] { ScalarType.Float32, ScalarType.BFloat16 })
            foreach (int count in new[] { 1, 2, 3, 4, 8 })
                data.Add(type, count);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Each_row_of_a_batch_is_what_its_sequence_decodes_alone(ScalarType type, int count)
    {
        using var checkpoint = Checkpoint.Open(_dir.Path);
        using var inference = torch.inference_mode();
        var weights = ModelWeights.Load(checkpoint, type, CPU);
        using var pass = new CpuForwardPass(weights, new RotaryEmbedding(checkpoint.Config, Context, CPU), threads: 2);
        int vocabulary = checkpoint.Config.VocabSize;
        var random = new Random(count);
        var alone = Enumerable.Range(0, count).Select(_ => weights.NewCache(Context, Rollback)).ToArray();
        var together = Enumerable.Range(0, count).Select(_ => weights.NewCache(Context, Rollback)).ToArray();
        var tokens = new int[count];
        var positions = new int[count];
        for (int i = 0; i < count; i++)
        {
            // Prompts of different lengths: the sequences decode at different positions, some past the sliding window.
            var prompt = Enumerable.Range(0, 1 + 3 * i % 7).Select(_ => random.Next(vocabulary)).ToArray();
            using var scope = torch.NewDisposeScope();
            pass.Prefill(prompt, 0, alone[i], allPositions: false);
            pass.Prefill(prompt, 0, together[i], allPositions: false);
            (tokens[i], positions[i]) = (random.Next(vocabulary), prompt.Length);
        }
        var expected = new float[count * vocabulary];
        var actual = new float[count * vocabulary];
        try
        {
            for (int step = 0; step < Steps; step++)
            {
                for (int i = 0; i < count; i++)
                    pass.DecodeOne(tokens[i], positions[i], alone[i], expected.AsSpan(i * vocabulary, vocabulary));
                // Odd steps hand the sequences over in reverse: a row's result may not depend on its place in the batch.
                var order = step % 2 == 0 ? Enumerable.Range(0, count).ToArray() : Enumerable.Range(0, count).Reverse().ToArray();
                pass.DecodeBatch(order.Select(i => tokens[i]).ToArray(), order.Select(i => positions[i]).ToArray(), order.Select(i => together[i]).ToArray(), actual);
                for (int row = 0; row < count; row++)
                {
                    int i = order[row];
                    SameBits.Assert(expected.AsSpan(i * vocabulary, vocabulary), actual.AsSpan(row * vocabulary, vocabulary), $"{type} batch of {count}, step {step}, sequence {i} at position {positions[i]}");
                    tokens[i] = ArgMax(expected.AsSpan(i * vocabulary, vocabulary));
                    positions[i]++;
                }
            }
        }
        finally
        {
            foreach (var cache in alone.Concat(together)) cache.Dispose();
        }
    }

    [Fact]
    public void Rejects_a_batch_that_does_not_fit_together()
    {
        using var checkpoint = Checkpoint.Open(_dir.Path);
        using var inference = torch.inference_mode();
        var weights = ModelWeights.Load(checkpoint, ScalarType.Float32, CPU);
        using var pass = new CpuForwardPass(weights, new RotaryEmbedding(checkpoint.Config, Context, CPU), threads: 1);
        int vocabulary = checkpoint.Config.VocabSize;
        using var first = weights.NewCache(Context, Rollback);
        using var second = weights.NewCache(Context, Rollback);
        var logits = new float[2 * vocabulary];

        var shared = Assert.Throws<ArgumentException>(() => pass.DecodeBatch([1, 2], [0, 0], [first, first], logits));
        Assert.Contains("share one KV cache", shared.Message);
        var positions = Assert.Throws<ArgumentException>(() => pass.DecodeBatch([1, 2], [0], [first, second], logits));
        Assert.Contains("one position and one cache per token", positions.Message);
        var rows = Assert.Throws<ArgumentException>(() => pass.DecodeBatch([1, 2], [0, 0], [first, second], logits.AsSpan(1)));
        Assert.Contains($"not 2 rows of the vocabulary {vocabulary}", rows.Message);
        var token = Assert.Throws<ArgumentOutOfRangeException>(() => pass.DecodeBatch([1, vocabulary], [0, 0], [first, second], logits));
        Assert.Contains("sequence 1", token.Message);
    }

    private static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
            if (values[i] > values[best]) best = i;
        return best;
    }

    public void Dispose() => _dir.Dispose();
}
