using GptOss.Engine.Kernels;
using System.Text.Json;
using System.Text.Json.Nodes;
using GptOss.Engine.Model;

namespace GptOss.Engine.Checkpoints;

/// <summary>What <see cref="RandomCheckpoint.Write"/> produces.</summary>
public sealed record RandomCheckpointOptions
{
    /// <summary>"tiny" (the hf-a fixture's shapes), "20b" or "120b" (the published shapes).</summary>
    public string Preset { get; init; } = "tiny";
    /// <summary>Fewer layers than the preset (a cut with the real widths).</summary>
    public int? Layers { get; init; }
    /// <summary>A smaller vocabulary than the preset.</summary>
    public int? Vocab { get; init; }
    public ulong Seed { get; init; }
    public CheckpointLayout Layout { get; init; } = CheckpointLayout.HuggingFace;
    /// <summary>Number of safetensors files; null = as published for the preset and layout (20b HF: 3, 120b HF: 15, 120b original: 7, else 1).</summary>
    public int? Shards { get; init; }
    /// <summary>Optional config override applied after the preset, layers and vocabulary (tests: sliding-only models).</summary>
    public Func<ModelConfig, ModelConfig>? Customize { get; init; }
}

/// <summary>
/// Writes a gpt-oss checkpoint with random weights in the exact published layout (names, dtypes, shapes, shard file
/// names, index, config.json form), scaled so activations stay in a sane range. For tests and benchmarks.
/// </summary>
public static class RandomCheckpoint
{
    public static ModelConfig Preset(string preset)
    {
        var big = new ModelConfig
        {
            NumHiddenLayers = 24, NumLocalExperts = 32, NumExpertsPerTok = 4, VocabSize = 201088, HiddenSize = 2880,
            IntermediateSize = 2880, HeadDim = 64, NumAttentionHeads = 64, NumKeyValueHeads = 8, SlidingWindow = 128,
            InitialContextLength = 4096, MaxPositionEmbeddings = 131072, SwigluLimit = 7f, RopeTheta = 150000,
            RopeScaling = new RopeScaling(32, 32, 1, 4096, Truncate: false), RmsNormEps = 1e-5,
            SlidingLayers = Alternating(24), EosTokenId = 200002, PadTokenId = 199999,
        };
        return preset switch
        {
            "20b" => big,
            "120b" => big with { NumHiddenLayers = 36, NumLocalExperts = 128, SlidingLayers = Alternating(36) },
            "tiny" => big with
            {
                NumHiddenLayers = 2, NumLocalExperts = 4, NumExpertsPerTok = 2, VocabSize = 1000, HiddenSize = 64,
                IntermediateSize = 64, HeadDim = 16, NumAttentionHeads = 4, NumKeyValueHeads = 2, SlidingWindow = 4,
                SlidingLayers = Alternating(2), EosTokenId = 999, PadTokenId = 998,
            },
            _ => throw new ArgumentException($"unknown preset '{preset}' (tiny, 20b, 120b)", nameof(preset)),
        };
    }

    private static bool[] Alternating(int layers) => Enumerable.Range(0, layers).Select(l => l % 2 == 0).ToArray();

    public static ModelConfig Config(RandomCheckpointOptions options)
    {
        var config = Preset(options.Preset);
        if (options.Layers is { } layers)
        {
            if (layers < 1) throw new ArgumentException("layers must be at least 1", nameof(options));
            config = config with { NumHiddenLayers = layers, SlidingLayers = Alternating(layers) };
        }
        if (options.Vocab is { } vocab)
        {
            if (vocab < 2) throw new ArgumentException("vocab must be at least 2", nameof(options));
            config = config with
            {
                VocabSize = vocab,
                EosTokenId = config.EosTokenId < vocab ? config.EosTokenId : vocab - 1,
                PadTokenId = config.PadTokenId < vocab ? config.PadTokenId : vocab - 2,
            };
        }
        return options.Customize?.Invoke(config) ?? config;
    }

    /// <summary>Writes the checkpoint into <paramref name="directory"/> (created if needed); returns the files written.</summary>
    public static IReadOnlyList<string> Write(string directory, RandomCheckpointOptions options)
    {
        var config = Config(options);
        Directory.CreateDirectory(directory);
        var tensors = Tensors(config, options.Layout, options.Seed);
        bool hf = options.Layout == CheckpointLayout.HuggingFace;
        // Published file naming: HF shards count from 0 and name the last index; OpenAI's 120b shards count from 1 with "--".
        int shards = options.Shards ?? (options.Preset, hf) switch { ("20b", true) => 3, ("120b", true) => 15, ("120b", false) => 7, _ => 1 };
        Func<int, string> fileName = shards == 1 ? _ => "model.safetensors"
            : hf ? i => $"model-{i:D5}-of-{shards - 1:D5}.safetensors"
            : i => $"model--{i + 1:D5}-of-{shards:D5}.safetensors";

        var groups = SplitEvenly(tensors, shards);
        var written = new List<string>();
        var weightMap = new SortedDictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < groups.Count; i++)
        {
            var path = Path.Combine(directory, fileName(i));
            SafetensorsWriter.Write(path, groups[i]);
            written.Add(path);
            foreach (var t in groups[i]) weightMap[t.Name] = fileName(i);
        }
        if (shards > 1)
        {
            var index = new { metadata = new { total_size = tensors.Sum(t => t.ByteLength) }, weight_map = weightMap };
            File.WriteAllText(Path.Combine(directory, Checkpoint.IndexFileName), JsonSerializer.Serialize(index, Indented));
        }
        File.WriteAllText(Path.Combine(directory, "config.json"), (hf ? HuggingFaceConfig(config) : OriginalConfig(config)).ToJsonString(Indented));
        if (!hf)
        {
            var dtypes = new SortedDictionary<string, string>(StringComparer.Ordinal);
            foreach (var t in tensors)
                dtypes[t.Name] = t.Name.EndsWith(".blocks") ? "FP4" : t.Name.EndsWith(".scales") ? "UE8" : "BF16";
            File.WriteAllText(Path.Combine(directory, "dtypes.json"), JsonSerializer.Serialize(dtypes, Indented));
        }
        return written;
    }

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private static List<List<TensorToWrite>> SplitEvenly(IReadOnlyList<TensorToWrite> tensors, int parts)
    {
        long total = tensors.Sum(t => t.ByteLength), done = 0;
        var groups = new List<List<TensorToWrite>> { new() };
        for (int i = 0; i < tensors.Count; i++)
        {
            int remainingTensors = tensors.Count - i, openParts = parts - groups.Count;
            bool full = groups[^1].Count > 0 && done >= total * groups.Count / parts;
            if (openParts > 0 && (full || remainingTensors <= openParts) && groups[^1].Count > 0)
                groups.Add([]);
            groups[^1].Add(tensors[i]);
            done += tensors[i].ByteLength;
        }
        return groups;
    }

    /// <summary>
    /// Every tensor of the checkpoint, in file order, with its random fill. Values are keyed by the Hugging Face name
    /// (the fused original qkv is q, k and v stacked), so both layouts of one seed hold the same weights.
    /// </summary>
    private static List<TensorToWrite> Tensors(ModelConfig c, CheckpointLayout layout, ulong seed)
    {
        long h = c.HiddenSize, v = c.VocabSize, e = c.NumLocalExperts, i = c.IntermediateSize;
        long qd = (long)c.NumAttentionHeads * c.HeadDim, kd = (long)c.NumKeyValueHeads * c.HeadDim;
        var hf = new TensorNames(CheckpointLayout.HuggingFace);
        var n = new TensorNames(layout);
        var list = new List<TensorToWrite>();
        void Bf16(string name, string key, float mean, float std, params long[] shape) =>
            list.Add(new(name, "BF16", shape, UniformBf16(seed, key, mean, std)));
        void Mxfp4(string blocks, string blocksKey, string scales, string scalesKey, long rows, long inputs)
        {
            // Codes are uniform (RMS ≈ 2.93); the scale makes each weight's RMS ≈ 1/sqrt(inputs).
            int exponent = 127 - (int)Math.Round(Math.Log2(2.93 * Math.Sqrt(inputs)));
            list.Add(new(blocks, "U8", [e, rows, inputs / 32, 16], RandomBytes(seed, blocksKey)));
            list.Add(new(scales, "U8", [e, rows, inputs / 32], ScaleBytes(seed, scalesKey, exponent)));
        }

        float dense = 1f / MathF.Sqrt(h);
        Bf16(n.Embedding, hf.Embedding, 0, 1, v, h);
        for (int l = 0; l < c.NumHiddenLayers; l++)
        {
            Bf16(n.AttentionNorm(l), hf.AttentionNorm(l), 1, 0.1f, h);
            if (layout == CheckpointLayout.HuggingFace)
            {
                foreach (var (which, rows) in new[] { ('q', qd), ('k', kd), ('v', kd) })
                {
                    Bf16(hf.Projection(l, which, "weight"), hf.Projection(l, which, "weight"), 0, dense, rows, h);
                    Bf16(hf.Projection(l, which, "bias"), hf.Projection(l, which, "bias"), 0, 0.05f, rows);
                }
            }
            else
            {
                list.Add(new(n.FusedQkv(l, "weight"), "BF16", [qd + 2 * kd, h], Stacked(
                    (qd * h * 2, UniformBf16(seed, hf.Projection(l, 'q', "weight"), 0, dense)),
                    (kd * h * 2, UniformBf16(seed, hf.Projection(l, 'k', "weight"), 0, dense)),
                    (kd * h * 2, UniformBf16(seed, hf.Projection(l, 'v', "weight"), 0, dense)))));
                list.Add(new(n.FusedQkv(l, "bias"), "BF16", [qd + 2 * kd], Stacked(
                    (qd * 2, UniformBf16(seed, hf.Projection(l, 'q', "bias"), 0, 0.05f)),
                    (kd * 2, UniformBf16(seed, hf.Projection(l, 'k', "bias"), 0, 0.05f)),
                    (kd * 2, UniformBf16(seed, hf.Projection(l, 'v', "bias"), 0, 0.05f)))));
            }
            Bf16(n.Sinks(l), hf.Sinks(l), 0, 0.5f, c.NumAttentionHeads);
            Bf16(n.Output(l, "weight"), hf.Output(l, "weight"), 0, 1f / MathF.Sqrt(qd), h, qd);
            Bf16(n.Output(l, "bias"), hf.Output(l, "bias"), 0, 0.05f, h);
            Bf16(n.MlpNorm(l), hf.MlpNorm(l), 1, 0.1f, h);
            Bf16(n.Router(l, "weight"), hf.Router(l, "weight"), 0, dense, e, h);
            Bf16(n.Router(l, "bias"), hf.Router(l, "bias"), 0, 0.05f, e);
            Mxfp4(n.GateUpBlocks(l), hf.GateUpBlocks(l), n.GateUpScales(l), hf.GateUpScales(l), 2 * i, h);
            Bf16(n.GateUpBias(l), hf.GateUpBias(l), 0, 0.05f, e, 2 * i);
            Mxfp4(n.DownBlocks(l), hf.DownBlocks(l), n.DownScales(l), hf.DownScales(l), h, i);
            Bf16(n.DownBias(l), hf.DownBias(l), 0, 0.05f, e, h);
        }
        Bf16(n.FinalNorm, hf.FinalNorm, 1, 0.1f, h);
        Bf16(n.Unembedding, hf.Unembedding, 0, dense, v, h);
        return list;
    }

    /// <summary>Fills of consecutive parts of one tensor (each part's length a multiple of 8 bytes).</summary>
    private static Action<long, Span<byte>> Stacked(params (long Bytes, Action<long, Span<byte>> Fill)[] parts) => (offset, span) =>
    {
        long partStart = 0;
        foreach (var (bytes, fill) in parts)
        {
            long from = Math.Max(offset, partStart), to = Math.Min(offset + span.Length, partStart + bytes);
            if (from < to)
                fill(from - partStart, span.Slice((int)(from - offset), (int)(to - from)));
            partStart += bytes;
        }
    };

    // A counter-based generator: the bytes at any offset depend only on (seed, tensor name, offset), so chunks fill in parallel.
    private static ulong Mix(ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }

    private static ulong KeyOf(ulong seed, string name)
    {
        ulong k = Mix(seed);
        foreach (char ch in name) k = Mix(k ^ ch);
        return k;
    }

    private static Action<long, Span<byte>> RandomBytes(ulong seed, string name)
    {
        ulong key = KeyOf(seed, name);
        return (offset, span) =>
        {
            // offset and span length are multiples of 8 except at a tensor's end.
            for (int j = 0; j < span.Length; j += 8)
            {
                ulong r = Mix(key ^ (ulong)(offset + j));
                for (int b = 0; b < 8 && j + b < span.Length; b++, r >>= 8) span[j + b] = (byte)r;
            }
        };
    }

    private static Action<long, Span<byte>> ScaleBytes(ulong seed, string name, int center)
    {
        var random = RandomBytes(seed, name);
        return (offset, span) =>
        {
            random(offset, span);
            foreach (ref byte b in span) b = (byte)(center - 1 + b % 3);
        };
    }

    private static Action<long, Span<byte>> UniformBf16(ulong seed, string name, float mean, float std)
    {
        ulong key = KeyOf(seed, name);
        float width = std * MathF.Sqrt(12f);
        return (offset, span) =>
        {
            for (int j = 0; j + 1 < span.Length; j += 8)
            {
                ulong r = Mix(key ^ (ulong)(offset + j));
                for (int b = 0; b < 8 && j + b + 1 < span.Length; b += 2, r >>= 16)
                {
                    float value = mean + ((r & 0xFFFF) / 65536f - 0.5f) * width;
                    ushort bits = Fp.FloatToBf16(value);
                    span[j + b] = (byte)bits;
                    span[j + b + 1] = (byte)(bits >> 8);
                }
            }
        };
    }

    private static JsonObject HuggingFaceConfig(ModelConfig c) => new()
    {
        ["architectures"] = new JsonArray("GptOssForCausalLM"),
        ["attention_bias"] = true,
        ["attention_dropout"] = 0.0,
        ["eos_token_id"] = c.EosTokenId,
        ["experts_per_token"] = c.NumExpertsPerTok,
        ["head_dim"] = c.HeadDim,
        ["hidden_act"] = "silu",
        ["hidden_size"] = c.HiddenSize,
        ["initial_context_length"] = c.InitialContextLength,
        ["initializer_range"] = 0.02,
        ["intermediate_size"] = c.IntermediateSize,
        ["layer_types"] = new JsonArray(c.SlidingLayers.Select(s => (JsonNode)(s ? "sliding_attention" : "full_attention")).ToArray()),
        ["max_position_embeddings"] = c.MaxPositionEmbeddings,
        ["model_type"] = "gpt_oss",
        ["num_attention_heads"] = c.NumAttentionHeads,
        ["num_experts_per_tok"] = c.NumExpertsPerTok,
        ["num_hidden_layers"] = c.NumHiddenLayers,
        ["num_key_value_heads"] = c.NumKeyValueHeads,
        ["num_local_experts"] = c.NumLocalExperts,
        ["output_router_logits"] = false,
        ["pad_token_id"] = c.PadTokenId,
        ["quantization_config"] = new JsonObject
        {
            ["modules_to_not_convert"] = new JsonArray("model.layers.*.self_attn", "model.layers.*.mlp.router", "model.embed_tokens", "lm_head"),
            ["quant_method"] = "mxfp4",
        },
        ["rms_norm_eps"] = c.RmsNormEps,
        ["rope_scaling"] = c.RopeScaling is { } s ? new JsonObject
        {
            ["beta_fast"] = s.BetaFast, ["beta_slow"] = s.BetaSlow, ["factor"] = s.Factor,
            ["original_max_position_embeddings"] = s.OriginalMaxPositionEmbeddings, ["rope_type"] = "yarn", ["truncate"] = s.Truncate,
        } : null,
        ["rope_theta"] = c.RopeTheta,
        ["router_aux_loss_coef"] = 0.9,
        ["sliding_window"] = c.SlidingWindow,
        ["swiglu_limit"] = c.SwigluLimit,
        ["tie_word_embeddings"] = false,
        ["transformers_version"] = "4.55.0.dev0",
        ["use_cache"] = true,
        ["vocab_size"] = c.VocabSize,
    };

    private static JsonObject OriginalConfig(ModelConfig c) => new()
    {
        ["num_hidden_layers"] = c.NumHiddenLayers,
        ["num_experts"] = c.NumLocalExperts,
        ["experts_per_token"] = c.NumExpertsPerTok,
        ["vocab_size"] = c.VocabSize,
        ["hidden_size"] = c.HiddenSize,
        ["intermediate_size"] = c.IntermediateSize,
        ["swiglu_limit"] = c.SwigluLimit,
        ["head_dim"] = c.HeadDim,
        ["num_attention_heads"] = c.NumAttentionHeads,
        ["num_key_value_heads"] = c.NumKeyValueHeads,
        ["sliding_window"] = c.SlidingWindow,
        ["initial_context_length"] = c.InitialContextLength,
        ["rope_theta"] = c.RopeTheta,
        ["rope_scaling_factor"] = c.RopeScaling?.Factor ?? 1.0,
        ["rope_ntk_alpha"] = c.RopeScaling?.BetaSlow ?? 1.0,
        ["rope_ntk_beta"] = c.RopeScaling?.BetaFast ?? 32.0,
    };
}
