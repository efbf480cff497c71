using System.Text.Json.Nodes;

namespace GptOss.Harmony;

/// <summary>One part of a message's content.</summary>
public abstract record Content;

/// <summary>Plain text content.</summary>
public sealed record TextContent(string Text) : Content;

/// <summary>How hard the model thinks; rendered as <c>Reasoning: low|medium|high</c>.</summary>
public enum ReasoningEffort
{
    Low,
    Medium,
    High,
}

/// <summary>The channels a model may write to and whether every message must name one.</summary>
public sealed record ChannelConfig(IReadOnlyList<string> ValidChannels, bool ChannelRequired)
{
    public static ChannelConfig RequireChannels(params string[] channels) => new(channels, true);

    public static ChannelConfig Default { get; } = RequireChannels("analysis", "commentary", "final");
}

/// <summary>A tool the model can call: name, description and a JSON schema of its parameters (key order kept).</summary>
public sealed record ToolDescription(string Name, string Description, JsonObject? Parameters = null);

/// <summary>A namespace of tools as rendered in the <c># Tools</c> section (<c>functions</c>, <c>browser</c>, <c>python</c>, ...).</summary>
public sealed record ToolNamespaceConfig(string Name, string? Description, IReadOnlyList<ToolDescription> Tools);

/// <summary>The content of a system message. Every field may be null: an absent field renders nothing.</summary>
public sealed record SystemContent : Content
{
    public const string DefaultModelIdentity = "You are ChatGPT, a large language model trained by OpenAI.";
    public const string DefaultKnowledgeCutoff = "2024-06";

    public string? ModelIdentity { get; init; } = DefaultModelIdentity;
    public ReasoningEffort? ReasoningEffort { get; init; } = Harmony.ReasoningEffort.Medium;
    /// <summary>Tool namespaces keyed by name; rendered sorted by name.</summary>
    public IReadOnlyDictionary<string, ToolNamespaceConfig>? Tools { get; init; }
    public string? ConversationStartDate { get; init; }
    public string? KnowledgeCutoff { get; init; } = DefaultKnowledgeCutoff;
    public ChannelConfig? ChannelConfig { get; init; } = Harmony.ChannelConfig.Default;
}

/// <summary>The content of a developer message: instructions and function tools.</summary>
public sealed record DeveloperContent : Content
{
    public string? Instructions { get; init; }
    /// <summary>Tool namespaces keyed by name; rendered sorted by name.</summary>
    public IReadOnlyDictionary<string, ToolNamespaceConfig>? Tools { get; init; }
}
