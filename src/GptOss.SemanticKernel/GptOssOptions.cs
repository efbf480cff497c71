using GptOss.Harmony;

namespace GptOss.SemanticKernel;

/// <summary>
/// Settings of the gpt-oss chat services, bound from the <c>"GptOss"</c> configuration section. The model
/// fields (directory, dtype, threads) are read by whoever builds the engine's <c>ITokenGenerator</c>; the rest
/// are defaults for requests that do not set them.
/// </summary>
public sealed class GptOssOptions
{
    public const string SectionName = "GptOss";

    /// <summary>Directory of the checkpoint (config.json + safetensors).</summary>
    public string? ModelDirectory { get; set; }

    /// <summary>Weight/activation type the engine runs in (<c>bf16</c>, <c>f32</c>).</summary>
    public string DType { get; set; } = "bf16";

    /// <summary>CPU threads for the engine; null lets it choose.</summary>
    public int? Threads { get; set; }

    /// <summary>The model id reported to callers (service attributes, responses, <c>/v1/models</c>).</summary>
    public string ModelId { get; set; } = "gpt-oss";

    /// <summary>First line of the system message.</summary>
    public string? ModelIdentity { get; set; } = SystemContent.DefaultModelIdentity;

    public ReasoningEffort ReasoningEffort { get; set; } = ReasoningEffort.Medium;

    /// <summary>Whether the system message states today's date (UTC), as gpt-oss's reference chat does.</summary>
    public bool IncludeCurrentDate { get; set; } = true;

    public int MaxTokens { get; set; } = 4096;

    /// <summary>gpt-oss is meant to be sampled at temperature 1 and top_p 1.</summary>
    public float Temperature { get; set; } = 1.0f;

    public float TopP { get; set; } = 1.0f;
}
