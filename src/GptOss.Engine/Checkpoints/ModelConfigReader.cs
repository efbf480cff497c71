using System.Text.Json;
using System.Text.Json.Nodes;

namespace GptOss.Engine.Checkpoints;

/// <summary>
/// Reads <c>config.json</c> in either published form: Hugging Face (<c>model_type: "gpt_oss"</c>) or OpenAI's
/// <c>original/config.json</c> (the fields of <c>gpt_oss.torch.model.ModelConfig</c>, nothing else).
/// </summary>
public static class ModelConfigReader
{
    private static readonly string[] OriginalFields =
    [
        "num_hidden_layers", "num_experts", "experts_per_token", "vocab_size", "hidden_size", "intermediate_size",
        "swiglu_limit", "head_dim", "num_attention_heads", "num_key_value_heads", "sliding_window",
        "initial_context_length", "rope_theta", "rope_scaling_factor", "rope_ntk_alpha", "rope_ntk_beta",
    ];

    public static ModelConfig Read(string path)
    {
        CheckpointFile.RegularLength(path, "config file");
        JsonObject json;
        try
        {
            json = JsonNode.Parse(File.ReadAllText(path)) as JsonObject
                ?? throw new CheckpointException($"{path}: config is not a JSON object");
        }
        catch (JsonException e)
        {
            throw new CheckpointException($"{path}: config is not valid JSON ({e.Message})", e);
        }
        var fields = new Fields(path, json);
        var config = json.ContainsKey("num_experts") && !json.ContainsKey("model_type") ? ReadOriginal(fields) : ReadHuggingFace(fields);
        Validate(path, config);
        return config;
    }

    private static ModelConfig ReadHuggingFace(Fields f)
    {
        var modelType = f.OptionalString("model_type");
        if (modelType != "gpt_oss")
            throw new CheckpointException($"{f.Path}: field 'model_type' is {(modelType is null ? "missing" : $"'{modelType}'")}, expected 'gpt_oss'");
        if (f.OptionalBool("tie_word_embeddings") == true)
            throw new CheckpointException($"{f.Path}: field 'tie_word_embeddings' is true; gpt-oss has a separate lm_head");
        if (f.OptionalDouble("swiglu_alpha") is { } alpha && Math.Abs(alpha - ModelConfig.SwigluAlpha) > 1e-6)
            throw new CheckpointException($"{f.Path}: field 'swiglu_alpha' is {alpha}; only {ModelConfig.SwigluAlpha} is supported");
        if (f.Object("quantization_config") is { } quant && f.StringIn(quant, "quantization_config.quant_method") is { } method && method != "mxfp4")
            throw new CheckpointException($"{f.Path}: field 'quantization_config.quant_method' is '{method}', expected 'mxfp4'");

        int layers = f.Int("num_hidden_layers");
        // Newer transformers re-save the rope settings as 'rope_parameters' (with rope_theta inside).
        var ropeNode = f.Object("rope_scaling") ?? f.Object("rope_parameters");
        double theta = f.OptionalDouble("rope_theta") ?? (ropeNode is null ? null : f.DoubleIn(ropeNode, "rope_parameters.rope_theta"))
            ?? throw new CheckpointException($"{f.Path}: missing field 'rope_theta'");
        var scaling = ropeNode is null ? null : ReadHfRopeScaling(f, ropeNode);
        int initialContext = f.OptionalInt("initial_context_length") ?? scaling?.OriginalMaxPositionEmbeddings ?? 4096;
        return new ModelConfig
        {
            NumHiddenLayers = layers,
            NumLocalExperts = f.Int("num_local_experts"),
            NumExpertsPerTok = f.OptionalInt("num_experts_per_tok") ?? f.Int("experts_per_token"),
            VocabSize = f.Int("vocab_size"),
            HiddenSize = f.Int("hidden_size"),
            IntermediateSize = f.Int("intermediate_size"),
            HeadDim = f.Int("head_dim"),
            NumAttentionHeads = f.Int("num_attention_heads"),
            NumKeyValueHeads = f.Int("num_key_value_heads"),
            SlidingWindow = f.Int("sliding_window"),
            InitialContextLength = initialContext,
            MaxPositionEmbeddings = f.Int("max_position_embeddings"),
            SwigluLimit = (float)f.Double("swiglu_limit"),
            RopeTheta = theta,
            RopeScaling = scaling,
            RmsNormEps = f.Double("rms_norm_eps"),
            SlidingLayers = ReadLayerTypes(f, layers),
            EosTokenId = f.OptionalFirstInt("eos_token_id"),
            PadTokenId = f.OptionalInt("pad_token_id"),
        };
    }

    private static RopeScaling? ReadHfRopeScaling(Fields f, JsonObject rope)
    {
        var type = f.StringIn(rope, "rope_scaling.rope_type") ?? f.StringIn(rope, "rope_scaling.type") ?? "default";
        if (type == "default")
            return null;
        if (type != "yarn")
            throw new CheckpointException($"{f.Path}: field 'rope_scaling.rope_type' is '{type}'; gpt-oss uses 'yarn'");
        return new RopeScaling(
            Factor: f.DoubleIn(rope, "rope_scaling.factor") ?? throw f.Missing("rope_scaling.factor"),
            BetaFast: f.DoubleIn(rope, "rope_scaling.beta_fast") ?? 32.0,
            BetaSlow: f.DoubleIn(rope, "rope_scaling.beta_slow") ?? 1.0,
            OriginalMaxPositionEmbeddings: (int)(f.DoubleIn(rope, "rope_scaling.original_max_position_embeddings") ?? throw f.Missing("rope_scaling.original_max_position_embeddings")),
            // transformers defaults truncate to true when absent; the published config says false.
            Truncate: f.BoolIn(rope, "rope_scaling.truncate") ?? true);
    }

    private static IReadOnlyList<bool> ReadLayerTypes(Fields f, int layers)
    {
        if (!f.Json.TryGetPropertyValue("layer_types", out var node) || node is null)
            return EvenLayersSlide(layers);
        if (node is not JsonArray array || array.Count != layers)
            throw new CheckpointException($"{f.Path}: field 'layer_types' must be an array of {layers} entries (num_hidden_layers)");
        return array.Select((entry, i) => (entry as JsonValue)?.TryGetValue<string>(out var s) == true ? s switch
        {
            "sliding_attention" => true,
            "full_attention" => false,
            _ => throw new CheckpointException($"{f.Path}: field 'layer_types[{i}]' is '{s}', expected 'sliding_attention' or 'full_attention'"),
        } : throw new CheckpointException($"{f.Path}: field 'layer_types[{i}]' is not a string")).ToArray();
    }

    private static ModelConfig ReadOriginal(Fields f)
    {
        foreach (var key in f.Json.Select(p => p.Key))
            if (!OriginalFields.Contains(key))
                throw new CheckpointException($"{f.Path}: unknown field '{key}' in an OpenAI original config");
        int layers = f.Int("num_hidden_layers");
        double factor = f.Double("rope_scaling_factor");
        int initialContext = f.Int("initial_context_length");
        return new ModelConfig
        {
            NumHiddenLayers = layers,
            NumLocalExperts = f.Int("num_experts"),
            NumExpertsPerTok = f.Int("experts_per_token"),
            VocabSize = f.Int("vocab_size"),
            HiddenSize = f.Int("hidden_size"),
            IntermediateSize = f.Int("intermediate_size"),
            HeadDim = f.Int("head_dim"),
            NumAttentionHeads = f.Int("num_attention_heads"),
            NumKeyValueHeads = f.Int("num_key_value_heads"),
            SlidingWindow = f.Int("sliding_window"),
            InitialContextLength = initialContext,
            MaxPositionEmbeddings = factor > 1 ? (int)(initialContext * factor) : initialContext,
            SwigluLimit = (float)f.Double("swiglu_limit"),
            RopeTheta = f.Double("rope_theta"),
            // OpenAI's reference never truncates the YaRN correction range.
            RopeScaling = factor > 1
                ? new RopeScaling(factor, BetaFast: f.Double("rope_ntk_beta"), BetaSlow: f.Double("rope_ntk_alpha"), initialContext, Truncate: false)
                : null,
            RmsNormEps = 1e-5,
            SlidingLayers = EvenLayersSlide(layers),
        };
    }

    private static bool[] EvenLayersSlide(int layers) => Enumerable.Range(0, layers).Select(l => l % 2 == 0).ToArray();

    private static void Validate(string path, ModelConfig c)
    {
        void Require(bool ok, string field, string why)
        {
            if (!ok) throw new CheckpointException($"{path}: field '{field}' {why}");
        }
        Require(c.NumHiddenLayers > 0, "num_hidden_layers", "must be positive");
        Require(c.NumLocalExperts > 0, "num_local_experts", "must be positive");
        Require(c.NumExpertsPerTok > 0 && c.NumExpertsPerTok <= c.NumLocalExperts, "num_experts_per_tok", "must be between 1 and the number of experts");
        Require(c.VocabSize > 0, "vocab_size", "must be positive");
        Require(c.HiddenSize > 0 && c.HiddenSize % 32 == 0, "hidden_size", "must be a positive multiple of 32 (MXFP4 blocks)");
        Require(c.IntermediateSize > 0 && c.IntermediateSize % 32 == 0, "intermediate_size", "must be a positive multiple of 32 (MXFP4 blocks)");
        Require(c.HeadDim > 0 && c.HeadDim % 2 == 0, "head_dim", "must be positive and even (RoPE)");
        Require(c.NumKeyValueHeads > 0, "num_key_value_heads", "must be positive");
        Require(c.NumAttentionHeads > 0 && c.NumAttentionHeads % c.NumKeyValueHeads == 0, "num_attention_heads", "must be a positive multiple of num_key_value_heads");
        Require(c.SlidingWindow > 0, "sliding_window", "must be positive");
        Require(c.MaxPositionEmbeddings > 0, "max_position_embeddings", "must be positive");
        Require(c.RopeTheta > 1, "rope_theta", "must be greater than 1");
        Require(c.RmsNormEps > 0, "rms_norm_eps", "must be positive");
        Require(c.SwigluLimit > 0, "swiglu_limit", "must be positive");
        if (c.RopeScaling is { } s)
            Require(s.Factor > 0 && s.BetaFast > s.BetaSlow && s.BetaSlow > 0 && s.OriginalMaxPositionEmbeddings > 0,
                "rope_scaling", "needs factor > 0, beta_fast > beta_slow > 0 and original_max_position_embeddings > 0");
    }

    /// <summary>Typed access to the fields of one config file, with errors that name the file and field.</summary>
    private sealed class Fields(string path, JsonObject json)
    {
        public string Path { get; } = path;
        public JsonObject Json { get; } = json;

        public CheckpointException Missing(string field) => new($"{Path}: missing field '{field}'");

        public int Int(string field) => OptionalInt(field) ?? throw Missing(field);
        public double Double(string field) => OptionalDouble(field) ?? throw Missing(field);
        public int? OptionalInt(string field) => IntIn(Json, field);
        public double? OptionalDouble(string field) => DoubleIn(Json, field);
        public string? OptionalString(string field) => StringIn(Json, field);
        public bool? OptionalBool(string field) => BoolIn(Json, field);
        public JsonObject? Object(string field) => Json.TryGetPropertyValue(field, out var n) ? n as JsonObject : null;

        /// <summary>An integer, or the first of an array of integers (<c>eos_token_id</c> takes both forms).</summary>
        public int? OptionalFirstInt(string field) =>
            Json.TryGetPropertyValue(field, out var n) && n is JsonArray array
                ? array.Count > 0 && array[0] is JsonValue first && first.GetValueKind() == JsonValueKind.Number ? (int)first.GetValue<double>() : null
                : IntIn(Json, field);

        public int? IntIn(JsonObject obj, string field)
        {
            var value = DoubleIn(obj, field);
            if (value is null) return null;
            if (value != Math.Floor(value.Value) || value < int.MinValue || value > int.MaxValue)
                throw new CheckpointException($"{Path}: field '{field}' must be an integer, found {value}");
            return (int)value.Value;
        }

        public double? DoubleIn(JsonObject obj, string field)
        {
            if (!obj.TryGetPropertyValue(Leaf(field), out var node) || node is null) return null;
            if (node is JsonValue v && v.GetValueKind() == JsonValueKind.Number) return v.GetValue<double>();
            throw new CheckpointException($"{Path}: field '{field}' must be a number, found {node.ToJsonString()}");
        }

        public string? StringIn(JsonObject obj, string field)
        {
            if (!obj.TryGetPropertyValue(Leaf(field), out var node) || node is null) return null;
            if (node is JsonValue v && v.GetValueKind() == JsonValueKind.String) return v.GetValue<string>();
            throw new CheckpointException($"{Path}: field '{field}' must be a string, found {node.ToJsonString()}");
        }

        public bool? BoolIn(JsonObject obj, string field)
        {
            if (!obj.TryGetPropertyValue(Leaf(field), out var node) || node is null) return null;
            if (node is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False) return v.GetValue<bool>();
            throw new CheckpointException($"{Path}: field '{field}' must be true or false, found {node.ToJsonString()}");
        }

        private static string Leaf(string field) => field[(field.LastIndexOf('.') + 1)..];
    }
}
