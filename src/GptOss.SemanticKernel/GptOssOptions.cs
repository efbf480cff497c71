using GptOss.Engine;
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

    /// <summary>Activation type the engine runs in: <c>bf16</c> (default) or <c>f32</c>.</summary>
    public string DType { get; set; } = "bf16";

    /// <summary>CPU threads for the engine; 0 lets libtorch choose.</summary>
    public int Threads { get; set; }

    /// <summary>Most positions (prompt + answer) one conversation may use; 0 lets the engine choose.</summary>
    public int MaxContext { get; set; }

    /// <summary><c>cpu</c>, <c>cuda</c>, ...; null picks a GPU when there is one.</summary>
    public string? Device { get; set; }

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

    /// <summary>The engine settings these options name.</summary>
    /// <exception cref="InvalidOperationException">An unknown <see cref="DType"/>.</exception>
    public EngineOptions ToEngineOptions() => new()
    {
        DType = DType.ToLowerInvariant() switch
        {
            "bf16" or "bfloat16" => ActivationDType.BFloat16,
            "f32" or "float32" => ActivationDType.Float32,
            _ => throw new InvalidOperationException($"{SectionName}:{nameof(DType)} must be bf16 or f32, not '{DType}'."),
        },
        Threads = Threads,
        MaxContext = MaxContext,
        Device = Device,
        Name = ModelId,
    };
}
