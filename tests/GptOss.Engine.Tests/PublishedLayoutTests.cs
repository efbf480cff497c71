using System.Text.Json;
using GptOss.Engine.Checkpoints;

namespace GptOss.Engine.Tests;

/// <summary>
/// make-random writes exactly the published tensor names, dtypes and shapes (docs/gpt-oss-model.md §4, written out
/// here independently of the writer), and the engine runs what it writes.
/// </summary>
public sealed class PublishedLayoutTests
{
    /// <summary>The spec's HF table for one layer count and vocabulary; every other size is the real 20b one.</summary>
    private static SortedDictionary<string, string> HuggingFace20b(int layers, int vocab)
    {
        const int H = 2880, QD = 64 * 64, KD = 8 * 64, E = 32, I = 2880;
        var expected = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["model.embed_tokens.weight"] = $"BF16 [{vocab}, {H}]",
            ["model.norm.weight"] = $"BF16 [{H}]",
            ["lm_head.weight"] = $"BF16 [{vocab}, {H}]",
        };
        for (int l = 0; l < layers; l++)
        {
            var p = $"model.layers.{l}.";
            expected[p + "input_layernorm.weight"] = $"BF16 [{H}]";
            expected[p + "self_attn.q_proj.weight"] = $"BF16 [{QD}, {H}]";
            expected[p + "self_attn.q_proj.bias"] = $"BF16 [{QD}]";
            expected[p + "self_attn.k_proj.weight"] = $"BF16 [{KD}, {H}]";
            expected[p + "self_attn.k_proj.bias"] = $"BF16 [{KD}]";
            expected[p + "self_attn.v_proj.weight"] = $"BF16 [{KD}, {H}]";
            expected[p + "self_attn.v_proj.bias"] = $"BF16 [{KD}]";
            expected[p + "self_attn.o_proj.weight"] = $"BF16 [{H}, {QD}]";
            expected[p + "self_attn.o_proj.bias"] = $"BF16 [{H}]";
            expected[p + "self_attn.sinks"] = "BF16 [64]";
            expected[p + "post_attention_layernorm.weight"] = $"BF16 [{H}]";
            expected[p + "mlp.router.weight"] = $"BF16 [{E}, {H}]";
            expected[p + "mlp.router.bias"] = $"BF16 [{E}]";
            expected[p + "mlp.experts.gate_up_proj_blocks"] = $"U8 [{E}, {2 * I}, 90, 16]";
            expected[p + "mlp.experts.gate_up_proj_scales"] = $"U8 [{E}, {2 * I}, 90]";
            expected[p + "mlp.experts.gate_up_proj_bias"] = $"BF16 [{E}, {2 * I}]";
            expected[p + "mlp.experts.down_proj_blocks"] = $"U8 [{E}, {H}, 90, 16]";
            expected[p + "mlp.experts.down_proj_scales"] = $"U8 [{E}, {H}, 90]";
            expected[p + "mlp.experts.down_proj_bias"] = $"BF16 [{E}, {H}]";
        }
        return expected;
    }

    private static SortedDictionary<string, string> Written(Checkpoint checkpoint) =>
        new(checkpoint.Entries.ToDictionary(e => e.Name, e => $"{e.DType} [{string.Join(", ", e.Shape)}]"), StringComparer.Ordinal);

    [Fact]
    public async Task TwentyBPresetCutWritesThePublishedHuggingFaceLayoutAndGenerates()
    {
        using var dir = new TempDirectory();
        RandomCheckpoint.Write(dir.Path, new RandomCheckpointOptions { Preset = "20b", Layers = 1, Vocab = 1024, Seed = 5 });
        Assert.Equal(
            ["config.json", "model-00000-of-00002.safetensors", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors", "model.safetensors.index.json"],
            Directory.GetFiles(dir.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        using (var checkpoint = Checkpoint.Open(dir.Path))
        {
            Assert.Equal(CheckpointLayout.HuggingFace, checkpoint.Layout);
            Assert.Equal(HuggingFace20b(1, 1024), Written(checkpoint));
            var c = checkpoint.Config;
            Assert.Equal((2880, 64, 8, 64, 32, 4, 128, 150000.0), (c.HiddenSize, c.NumAttentionHeads, c.NumKeyValueHeads, c.HeadDim, c.NumLocalExperts, c.NumExpertsPerTok, c.SlidingWindow, c.RopeTheta));
            Assert.Equal(new RopeScaling(32, 32, 1, 4096, false), c.RopeScaling);
        }
        using var engine = GptOssEngine.Load(dir.Path, new EngineOptions { DType = ActivationDType.BFloat16 });
        var tokens = await FixtureExactnessTests.Generate(engine, [1, 2, 3, 4, 5], 3);
        Assert.Equal(3, tokens.Length);
        Assert.All(tokens, t => Assert.InRange(t, 0, 1023));
    }

    [Fact]
    public void OriginalLayoutHasFusedQkvAndDtypesJson()
    {
        using var dir = new TempDirectory();
        RandomCheckpoint.Write(dir.Path, new RandomCheckpointOptions { Preset = "tiny", Layout = CheckpointLayout.Original });
        Assert.Equal(["config.json", "dtypes.json", "model.safetensors"], Directory.GetFiles(dir.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        using var checkpoint = Checkpoint.Open(dir.Path);
        var written = Written(checkpoint);
        // tiny: L=2, H=64, Q=4, K=2, D=16, E=4, I=64, V=1000; 15 tensors per block + 3.
        Assert.Equal(2 * 15 + 3, written.Count);
        Assert.Equal("BF16 [128, 64]", written["block.1.attn.qkv.weight"]);
        Assert.Equal("BF16 [128]", written["block.1.attn.qkv.bias"]);
        Assert.Equal("U8 [4, 128, 2, 16]", written["block.0.mlp.mlp1_weight.blocks"]);
        Assert.Equal("U8 [4, 64, 2]", written["block.0.mlp.mlp2_weight.scales"]);
        Assert.Equal("BF16 [1000, 64]", written["unembedding.weight"]);
        Assert.Equal("BF16 [64]", written["norm.scale"]);
        using var dtypes = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir.Path, "dtypes.json")));
        Assert.Equal("FP4", dtypes.RootElement.GetProperty("block.0.mlp.mlp1_weight.blocks").GetString());
        Assert.Equal("UE8", dtypes.RootElement.GetProperty("block.0.mlp.mlp1_weight.scales").GetString());
        Assert.Equal("BF16", dtypes.RootElement.GetProperty("embedding.weight").GetString());
        Assert.Equal(written.Count, dtypes.RootElement.EnumerateObject().Count());
    }
}
