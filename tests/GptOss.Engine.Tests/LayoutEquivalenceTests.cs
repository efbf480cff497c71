using GptOss.Engine.Checkpoints;

namespace GptOss.Engine.Tests;

/// <summary>The same random weights written as Hugging Face, sharded Hugging Face and OpenAI original give the same model.</summary>
public sealed class LayoutEquivalenceTests
{
    private static readonly int[] Prompt = [3, 141, 59, 265, 358, 979, 323, 846, 264, 338, 327, 950];

    [Fact]
    public async Task HuggingFaceShardedAndOriginalLayoutsComputeTheSameLogits()
    {
        using var dir = new TempDirectory();
        var options = new RandomCheckpointOptions { Preset = "tiny", Layers = 3, Seed = 7 };
        RandomCheckpoint.Write(dir["hf"], options);
        RandomCheckpoint.Write(dir["sharded"], options with { Shards = 3 });
        RandomCheckpoint.Write(dir["original"], options with { Layout = CheckpointLayout.Original });
        Assert.True(File.Exists(Path.Combine(dir["sharded"], Checkpoint.IndexFileName)));
        Assert.Equal(3, Directory.GetFiles(dir["sharded"], "*.safetensors").Length);

        var logits = new Dictionary<string, float[][]>();
        foreach (var name in new[] { "hf", "sharded", "original" })
        {
            using var engine = GptOssEngine.Load(dir[name], new EngineOptions { DType = ActivationDType.Float32 });
            Assert.Equal(name == "original" ? CheckpointLayout.Original : CheckpointLayout.HuggingFace, engine.Layout);
            logits[name] = await engine.ComputeLogitsAsync(Prompt);
        }
        // Same weights, same math; only GEMM blocking may differ (q/k/v as row views of the fused tensor).
        Assert.True(MaxDifference(logits["hf"], logits["sharded"]) < 1e-5f);
        Assert.True(MaxDifference(logits["hf"], logits["original"]) < 1e-5f);
        Assert.Contains(Flatten(logits["hf"]), v => Math.Abs(v) > 0.1f);   // not a degenerate all-zero model
    }

    [Fact]
    public void RandomWeightsDependOnTheSeed()
    {
        using var dir = new TempDirectory();
        RandomCheckpoint.Write(dir["a"], new RandomCheckpointOptions { Seed = 1 });
        RandomCheckpoint.Write(dir["b"], new RandomCheckpointOptions { Seed = 2 });
        RandomCheckpoint.Write(dir["c"], new RandomCheckpointOptions { Seed = 1 });
        var a = File.ReadAllBytes(Path.Combine(dir["a"], "model.safetensors"));
        Assert.NotEqual(a, File.ReadAllBytes(Path.Combine(dir["b"], "model.safetensors")));
        Assert.Equal(a, File.ReadAllBytes(Path.Combine(dir["c"], "model.safetensors")));
    }

    internal static float MaxDifference(float[][] a, float[][] b) =>
        Flatten(a).Zip(Flatten(b)).Max(p => Math.Abs(p.First - p.Second));

    private static float[] Flatten(float[][] rows) => rows.SelectMany(r => r).ToArray();
}
