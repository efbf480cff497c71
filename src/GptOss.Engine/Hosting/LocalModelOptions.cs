namespace GptOss.Engine;

/// <summary>The in-process engine's settings in the <c>"GptOss"</c> configuration section.</summary>
public sealed class LocalModelOptions
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

    /// <summary>The model id reported to callers; the engine's <see cref="EngineOptions.Name"/>.</summary>
    public string? ModelId { get; set; }

    /// <summary>Conversations the engine runs at once (decoded together); 1 = one at a time.</summary>
    public int ParallelSequences { get; set; } = new EngineOptions().ParallelSequences;

    /// <summary>Calls that may wait for a free sequence; beyond them a call is refused (the server answers 503).</summary>
    public int MaxQueuedRequests { get; set; } = new EngineOptions().MaxQueuedRequests;

    /// <summary>The engine settings these options name.</summary>
    /// <exception cref="ArgumentException">An unknown <see cref="DType"/>.</exception>
    public EngineOptions ToEngineOptions() => new()
    {
        DType = ActivationDTypeNames.Parse(DType, $"{SectionName}:{nameof(DType)}"),
        Threads = Threads,
        MaxContext = MaxContext,
        Device = Device,
        Name = ModelId,
        ParallelSequences = ParallelSequences,
        MaxQueuedRequests = MaxQueuedRequests,
    };
}
