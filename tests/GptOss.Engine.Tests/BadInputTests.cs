using GptOss.Generation;
using System.Text;
using System.Text.Json.Nodes;
using GptOss.Engine.Checkpoints;
using GptOss.Testing;

namespace GptOss.Engine.Tests;

/// <summary>Every kind of bad checkpoint or request ends in a clear error that names the file, tensor or field.</summary>
public sealed class BadInputTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private string ModelDir => _dir["model"];
    private string Weights => Path.Combine(ModelDir, "model.safetensors");
    private string ConfigPath => Path.Combine(ModelDir, "config.json");

    public BadInputTests()
    {
        TinyFixtures.CopyTo("hf-a", ModelDir);
    }

    public void Dispose() => _dir.Dispose();

    private CheckpointException LoadFails() =>
        Assert.Throws<CheckpointException>(() => GptOssEngine.Load(ModelDir, new EngineOptions { DType = ActivationDType.Float32 }).Dispose());

    [Fact]
    public void MissingFolderConfigOrWeights()
    {
        Assert.Contains("checkpoint folder not found", Assert.Throws<CheckpointException>(() => Checkpoint.Open(_dir["nope"])).Message);
        File.Delete(Weights);
        Assert.Contains("no *.safetensors", LoadFails().Message);
        File.Delete(ConfigPath);
        Assert.Contains("config.json: config file not found", LoadFails().Message);
    }

    [Fact]
    public void TruncatedFile()
    {
        var bytes = File.ReadAllBytes(Weights);
        File.WriteAllBytes(Weights, bytes[..^100]);
        var error = LoadFails().Message;
        Assert.Contains("model.safetensors", error);
        Assert.Contains("run past the end of the data section", error);

        File.WriteAllBytes(Weights, bytes[..5]);
        Assert.Contains("truncated safetensors file", LoadFails().Message);
    }

    [Fact]
    public void HeaderLengthBeyondTheFile()
    {
        var bytes = File.ReadAllBytes(Weights);
        BitConverter.TryWriteBytes(bytes.AsSpan(0, 8), (ulong)bytes.Length);
        File.WriteAllBytes(Weights, bytes);
        Assert.Contains("header length", LoadFails().Message);
    }

    [Fact]
    public void CorruptHeaderJson()
    {
        var bytes = File.ReadAllBytes(Weights);
        bytes[8] = (byte)'[';
        bytes[9] = (byte)'}';
        File.WriteAllBytes(Weights, bytes);
        var error = LoadFails().Message;
        Assert.Contains("model.safetensors", error);
        Assert.Contains("corrupt safetensors header", error);
    }

    [Fact]
    public void OffsetsOutOfRange()
    {
        RewriteHeader(h => h["lm_head.weight"]!["data_offsets"] = new JsonArray(0, 10_000_000));
        var error = LoadFails().Message;
        Assert.Contains("'lm_head.weight'", error);
        Assert.Contains("run past the end", error);
    }

    [Fact]
    public void OverlappingOffsets()
    {
        RewriteHeader(h => h["model.norm.weight"]!["data_offsets"] = h["lm_head.weight"]!["data_offsets"]!.DeepClone());
        RewriteHeader(h => h["model.norm.weight"]!["shape"] = h["lm_head.weight"]!["shape"]!.DeepClone());
        var error = LoadFails().Message;
        Assert.Contains("overlap", error);
        Assert.Contains("lm_head.weight", error);
    }

    [Fact]
    public void OffsetsThatDoNotMatchDtypeAndShape()
    {
        RewriteHeader(h => h["model.norm.weight"]!["shape"] = new JsonArray(65));
        var error = LoadFails().Message;
        Assert.Contains("'model.norm.weight'", error);
        Assert.Contains("needs 130", error);
    }

    [Fact]
    public void WrongDtypeForTheModel()
    {
        RewriteHeader(h => h["model.norm.weight"]!["dtype"] = "F16");
        var error = LoadFails().Message;
        Assert.Contains("'model.norm.weight' is F16 [64], expected BF16 [64]", error);
    }

    [Fact]
    public void WrongShapeForTheConfig()
    {
        EditConfig(c => c["intermediate_size"] = 96);
        var error = LoadFails().Message;
        Assert.Contains("model.safetensors: tensor 'model.layers.0.mlp.experts.gate_up_proj_blocks'", error);
        Assert.Contains("expected U8 [4, 192, 2, 16]", error);
    }

    [Fact]
    public void MissingTensor()
    {
        RewriteHeader(h => h.Remove("model.layers.1.self_attn.sinks"));
        Assert.Contains("tensor 'model.layers.1.self_attn.sinks' is missing", LoadFails().Message);
    }

    [Theory]
    [InlineData("hidden_size", "missing field 'hidden_size'")]
    [InlineData("model_type", "field 'model_type' is missing")]
    [InlineData("rms_norm_eps", "missing field 'rms_norm_eps'")]
    public void MissingConfigField(string field, string expected)
    {
        EditConfig(c => c.Remove(field));
        var error = LoadFails().Message;
        Assert.Contains("config.json", error);
        Assert.Contains(expected, error);
    }

    [Fact]
    public void BadConfigValues()
    {
        EditConfig(c => c["model_type"] = "llama");
        Assert.Contains("field 'model_type' is 'llama'", LoadFails().Message);
        File.Copy(TestPaths.TinyFixture("hf-a") + "/config.json", ConfigPath, overwrite: true);
        EditConfig(c => c["num_attention_heads"] = "four");
        Assert.Contains("field 'num_attention_heads' must be a number", LoadFails().Message);
        File.Copy(TestPaths.TinyFixture("hf-a") + "/config.json", ConfigPath, overwrite: true);
        EditConfig(c => c["layer_types"] = new JsonArray("sliding_attention"));
        Assert.Contains("field 'layer_types' must be an array of 2 entries", LoadFails().Message);
        File.WriteAllText(ConfigPath, "{ not json");
        Assert.Contains("config is not valid JSON", LoadFails().Message);
    }

    [Fact]
    public void UnknownFieldInAnOriginalConfig()
    {
        var original = TinyFixtures.CopyTo("original-b", _dir["original"]);
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(original, "config.json")))!.AsObject();
        config["num_expert"] = 8;
        File.WriteAllText(Path.Combine(original, "config.json"), config.ToJsonString());
        Assert.Contains("unknown field 'num_expert'", Assert.Throws<CheckpointException>(() => Checkpoint.Open(original)).Message);
    }

    [Fact]
    public void IndexNamingAFileThatDoesNotHoldTheTensor()
    {
        var sharded = TinyFixtures.CopyTo("sharded-c", _dir["sharded"]);
        var indexPath = Path.Combine(sharded, Checkpoint.IndexFileName);
        var index = JsonNode.Parse(File.ReadAllText(indexPath))!.AsObject();
        index["weight_map"]!["lm_head.weight"] = "model-00000-of-00001.safetensors";
        File.WriteAllText(indexPath, index.ToJsonString());
        var error = Assert.Throws<CheckpointException>(() => Checkpoint.Open(sharded)).Message;
        Assert.Contains("'lm_head.weight' is mapped to model-00000-of-00001.safetensors", error);
    }

    [Fact]
    public async Task TokenIdOutOfRangeIsRejectedAndTheEngineStaysUsable()
    {
        using var engine = GptOssEngine.Load(ModelDir, new EngineOptions { DType = ActivationDType.Float32 });
        var error = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => engine.ComputeLogitsAsync([1, 2, 1000]));
        Assert.Contains("token id 1000 at position 2 is outside the vocabulary [0, 1000)", error.Message);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () =>
        {
            await foreach (var _ in engine.GenerateAsync([-1], new GenerationOptions())) { }
        });
        Assert.Equal(3, (await engine.ComputeLogitsAsync([1, 2, 3])).Length);
    }

    private void EditConfig(Action<JsonObject> edit)
    {
        var config = JsonNode.Parse(File.ReadAllText(ConfigPath))!.AsObject();
        edit(config);
        File.WriteAllText(ConfigPath, config.ToJsonString());
    }

    /// <summary>Rewrites the safetensors header (data section unchanged: offsets are relative to it).</summary>
    private void RewriteHeader(Action<JsonObject> edit)
    {
        var bytes = File.ReadAllBytes(Weights);
        int length = (int)BitConverter.ToUInt64(bytes, 0);
        var header = JsonNode.Parse(Encoding.UTF8.GetString(bytes, 8, length))!.AsObject();
        edit(header);
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        using var output = File.Create(Weights);
        output.Write(BitConverter.GetBytes((ulong)json.Length));
        output.Write(json);
        output.Write(bytes, 8 + length, bytes.Length - 8 - length);
    }
}
