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

    public bool Equals(ChannelConfig? other) =>
        other is not null && ChannelRequired == other.ChannelRequired && ValidChannels.SequenceEqual(other.ValidChannels);

    public override int GetHashCode() => HashCode.Combine(ChannelRequired, ValidChannels.Count);
}

/// <summary>A tool the model can call: name, description and a JSON schema of its parameters (key order kept).</summary>
public sealed record ToolDescription(string Name, string Description, JsonObject? Parameters = null)
{
    public bool Equals(ToolDescription? other) =>
        other is not null && Name == other.Name && Description == other.Description && JsonNode.DeepEquals(Parameters, other.Parameters);

    public override int GetHashCode() => HashCode.Combine(Name, Description);
}

/// <summary>A namespace of tools as rendered in the <c># Tools</c> section (<c>functions</c>, <c>browser</c>, <c>python</c>, ...).</summary>
public sealed record ToolNamespaceConfig(string Name, string? Description, IReadOnlyList<ToolDescription> Tools)
{
    public bool Equals(ToolNamespaceConfig? other) =>
        other is not null && Name == other.Name && Description == other.Description && Tools.SequenceEqual(other.Tools);

    public override int GetHashCode() => HashCode.Combine(Name, Description, Tools.Count);
}

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

    /// <summary>Every field absent: renders as an empty system message.</summary>
    public static SystemContent Empty { get; } = new()
    {
        ModelIdentity = null, ReasoningEffort = null, KnowledgeCutoff = null, ChannelConfig = null,
    };

    public SystemContent WithModelIdentity(string? modelIdentity) => this with { ModelIdentity = modelIdentity };
    public SystemContent WithReasoningEffort(ReasoningEffort? effort) => this with { ReasoningEffort = effort };
    public SystemContent WithConversationStartDate(string? date) => this with { ConversationStartDate = date };
    public SystemContent WithKnowledgeCutoff(string? cutoff) => this with { KnowledgeCutoff = cutoff };
    public SystemContent WithChannelConfig(ChannelConfig? config) => this with { ChannelConfig = config };
    public SystemContent WithRequiredChannels(params string[] channels) => this with { ChannelConfig = ChannelConfig.RequireChannels(channels) };

    /// <summary>Adds (or replaces) the namespace under its own name.</summary>
    public SystemContent WithTools(ToolNamespaceConfig tools) => this with { Tools = ToolNamespaces.With(Tools, tools) };
    public SystemContent WithBrowserTool() => WithTools(BuiltinTools.Browser);
    public SystemContent WithPythonTool() => WithTools(BuiltinTools.Python);

    public bool Equals(SystemContent? other) =>
        other is not null && ModelIdentity == other.ModelIdentity && ReasoningEffort == other.ReasoningEffort
        && ConversationStartDate == other.ConversationStartDate && KnowledgeCutoff == other.KnowledgeCutoff
        && Equals(ChannelConfig, other.ChannelConfig) && ToolNamespaces.MapEquals(Tools, other.Tools);

    public override int GetHashCode() => HashCode.Combine(ModelIdentity, ReasoningEffort, ConversationStartDate, KnowledgeCutoff);
}

/// <summary>The content of a developer message: instructions and function tools.</summary>
public sealed record DeveloperContent : Content
{
    public string? Instructions { get; init; }
    /// <summary>Tool namespaces keyed by name; rendered sorted by name.</summary>
    public IReadOnlyDictionary<string, ToolNamespaceConfig>? Tools { get; init; }

    public DeveloperContent WithInstructions(string? instructions) => this with { Instructions = instructions };

    /// <summary>Adds (or replaces) the namespace under its own name.</summary>
    public DeveloperContent WithTools(ToolNamespaceConfig tools) => this with { Tools = ToolNamespaces.With(Tools, tools) };

    /// <summary>Adds the tools as the <c>functions</c> namespace (the one the model calls as <c>functions.NAME</c>).</summary>
    public DeveloperContent WithFunctionTools(IEnumerable<ToolDescription> tools) =>
        WithTools(new ToolNamespaceConfig("functions", null, tools.ToList()));

    public bool Equals(DeveloperContent? other) =>
        other is not null && Instructions == other.Instructions && ToolNamespaces.MapEquals(Tools, other.Tools);

    public override int GetHashCode() => HashCode.Combine(Instructions, Tools?.Count);
}

/// <summary>Helpers for the namespace-name → namespace maps of system and developer content.</summary>
internal static class ToolNamespaces
{
    public static IReadOnlyDictionary<string, ToolNamespaceConfig> With(IReadOnlyDictionary<string, ToolNamespaceConfig>? map, ToolNamespaceConfig tools)
    {
        var copy = map is null ? new Dictionary<string, ToolNamespaceConfig>(StringComparer.Ordinal) : new Dictionary<string, ToolNamespaceConfig>(map, StringComparer.Ordinal);
        copy[tools.Name] = tools;
        return copy;
    }

    public static bool MapEquals(IReadOnlyDictionary<string, ToolNamespaceConfig>? a, IReadOnlyDictionary<string, ToolNamespaceConfig>? b) =>
        a is null || b is null
            ? a is null && b is null
            : a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out var other) && kv.Value.Equals(other));

    /// <summary>The map's entries in the order openai/harmony's <c>BTreeMap</c> keeps them: by key, comparing UTF-8 bytes.</summary>
    public static IEnumerable<KeyValuePair<string, ToolNamespaceConfig>> Sorted(IReadOnlyDictionary<string, ToolNamespaceConfig> map) =>
        map.OrderBy(kv => kv.Key, Utf8OrdinalComparer.Instance);
}

/// <summary>Orders strings as Rust orders <c>String</c>s: by UTF-8 bytes, i.e. by code points.</summary>
internal sealed class Utf8OrdinalComparer : IComparer<string>
{
    public static Utf8OrdinalComparer Instance { get; } = new();

    public int Compare(string? x, string? y)
    {
        if (x is null || y is null) return x is null ? (y is null ? 0 : -1) : 1;
        var a = x.EnumerateRunes();
        var b = y.EnumerateRunes();
        while (true)
        {
            bool hasA = a.MoveNext(), hasB = b.MoveNext();
            if (!hasA || !hasB) return hasA.CompareTo(hasB);
            int c = a.Current.Value.CompareTo(b.Current.Value);
            if (c != 0) return c;
        }
    }
}
