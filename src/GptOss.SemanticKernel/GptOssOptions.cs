using GptOss.Harmony;

namespace GptOss.SemanticKernel;

/// <summary>
/// Defaults of the gpt-oss chat services for requests that do not set them, bound from the <c>"GptOss"</c>
/// configuration section (which also holds the backend's settings: <c>GptOss:Backend</c>, and the in-process
/// engine's <c>ModelDirectory</c>, <c>DType</c>, <c>Threads</c>, <c>MaxContext</c>, <c>Device</c>).
/// </summary>
public sealed class GptOssOptions
{
    public const string SectionName = "GptOss";

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
