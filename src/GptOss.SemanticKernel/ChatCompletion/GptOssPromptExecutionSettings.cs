using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.SemanticKernel;

namespace GptOss.SemanticKernel;

/// <summary>
/// Execution settings of the gpt-oss chat completion service. JSON names are snake_case, as in prompt
/// templates and the other connectors; unset values fall back to <see cref="GptOssOptions"/>.
/// </summary>
public sealed class GptOssPromptExecutionSettings : PromptExecutionSettings
{
    /// <summary><c>low</c>, <c>medium</c> or <c>high</c>: rendered as <c>Reasoning: ...</c> in the system message.</summary>
    [JsonPropertyName("reasoning_effort")]
    public string? ReasoningEffort
    {
        get => _reasoningEffort;
        set { ThrowIfFrozen(); _reasoningEffort = value; }
    }

    [JsonPropertyName("temperature")]
    public float? Temperature
    {
        get => _temperature;
        set { ThrowIfFrozen(); _temperature = value; }
    }

    [JsonPropertyName("top_p")]
    public float? TopP
    {
        get => _topP;
        set { ThrowIfFrozen(); _topP = value; }
    }

    [JsonPropertyName("max_tokens")]
    public int? MaxTokens
    {
        get => _maxTokens;
        set { ThrowIfFrozen(); _maxTokens = value; }
    }

    [JsonPropertyName("seed")]
    public long? Seed
    {
        get => _seed;
        set { ThrowIfFrozen(); _seed = value; }
    }

    /// <summary>
    /// The answer's format, as with SK's OpenAI connector: a .NET <see cref="Type"/> (its JSON schema is generated, every
    /// property required, no others), an M.E.AI <see cref="Microsoft.Extensions.AI.ChatResponseFormat"/>, <c>"json_object"</c>
    /// or <c>"text"</c>, or a chat completions <c>response_format</c> object. Decoding is constrained to it.
    /// </summary>
    [JsonPropertyName("response_format")]
    public object? ResponseFormat
    {
        get => _responseFormat;
        set { ThrowIfFrozen(); _responseFormat = value; }
    }

    /// <summary>Most tokens the reasoning may take before a constrained answer (a schema, a required call) is forced; unset = the default for the effort.</summary>
    [JsonPropertyName("max_reasoning_tokens")]
    public int? MaxReasoningTokens
    {
        get => _maxReasoningTokens;
        set { ThrowIfFrozen(); _maxReasoningTokens = value; }
    }

    /// <summary>Texts that end the answer.</summary>
    [JsonPropertyName("stop")]
    public IList<string>? Stop
    {
        get => _stop;
        set { ThrowIfFrozen(); _stop = value; }
    }

    /// <summary>
    /// These settings from any <see cref="PromptExecutionSettings"/>: the same instance, or a copy read through
    /// JSON so that <c>ExtensionData</c> keys (<c>temperature</c>, <c>reasoning_effort</c>, ...) are honoured.
    /// </summary>
    public static GptOssPromptExecutionSettings FromExecutionSettings(PromptExecutionSettings? settings)
    {
        switch (settings)
        {
            case null:
                return new GptOssPromptExecutionSettings();
            case GptOssPromptExecutionSettings own:
                return own;
        }
        var json = JsonSerializer.Serialize(settings, settings.GetType(), JsonOptions);
        var copy = JsonSerializer.Deserialize<GptOssPromptExecutionSettings>(json, JsonOptions)!;
        copy.ServiceId = settings.ServiceId;
        copy.ModelId = settings.ModelId;
        copy.FunctionChoiceBehavior = settings.FunctionChoiceBehavior;
        return copy;
    }

    public override PromptExecutionSettings Clone() => new GptOssPromptExecutionSettings
    {
        ModelId = ModelId,
        ServiceId = ServiceId,
        FunctionChoiceBehavior = FunctionChoiceBehavior,
        ExtensionData = ExtensionData is null ? null : new Dictionary<string, object>(ExtensionData),
        ReasoningEffort = ReasoningEffort,
        Temperature = Temperature,
        TopP = TopP,
        MaxTokens = MaxTokens,
        Seed = Seed,
        Stop = Stop is null ? null : [.. Stop],
        ResponseFormat = ResponseFormat,
        MaxReasoningTokens = MaxReasoningTokens,
    };

    // Numbers in prompt configs are often written as strings ("0.7").
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        NumberHandling = JsonNumberHandling.AllowReadingFromString,
    };

    private string? _reasoningEffort;
    private float? _temperature;
    private float? _topP;
    private int? _maxTokens;
    private long? _seed;
    private IList<string>? _stop;
    private object? _responseFormat;
    private int? _maxReasoningTokens;
}
