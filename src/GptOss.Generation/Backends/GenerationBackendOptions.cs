namespace GptOss.Generation;

/// <summary>Which engine runs the model, bound from <c>GptOss:Backend</c>.</summary>
public sealed class GenerationBackendOptions
{
    public const string SectionName = "GptOss:Backend";

    /// <summary>The variable read when <see cref="ApiKey"/> is not set.</summary>
    public const string ApiKeyVariable = "GPTOSS_BACKEND_API_KEY";

    /// <summary><c>Local</c> (the in-process engine, default), <c>Vllm</c>, <c>Sglang</c> or <c>LlamaCpp</c>.</summary>
    public string Kind { get; set; } = BackendKinds.Local;

    /// <summary>A remote engine's base URL, e.g. <c>http://gpu-box:8000</c>.</summary>
    public string? Endpoint { get; set; }

    /// <summary>The served model's name, where the server needs one (vLLM's <c>--served-model-name</c>).</summary>
    public string? Model { get; set; }

    /// <summary>Bearer token for the remote engine; default: the <c>GPTOSS_BACKEND_API_KEY</c> variable.</summary>
    public string? ApiKey { get; set; }

    /// <summary>Longest wait for one remote request (the whole generation, streamed or not).</summary>
    public int TimeoutSeconds { get; set; } = 600;

    /// <summary><see cref="ApiKey"/>, else the environment's.</summary>
    public string? ResolveApiKey() =>
        ApiKey is { Length: > 0 } key ? key : Environment.GetEnvironmentVariable(ApiKeyVariable) is { Length: > 0 } env ? env : null;
}
