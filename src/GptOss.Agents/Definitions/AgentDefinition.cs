using System.Text.Json.Nodes;
using GptOss.Harmony;
using GptOss.Mcp;

namespace GptOss.Agents;

/// <summary>
/// An agent as defined in configuration (<c>agents/*.yaml</c> or the <c>Agents:Definitions</c> section):
/// who it is, how it samples, which tools it may call and how long it may run.
/// </summary>
public sealed record AgentDefinition
{
    public const int DefaultMaxSteps = 10;

    public required string Name { get; init; }
    public string? Description { get; init; }
    public required string Instructions { get; init; }
    public ReasoningEffort ReasoningEffort { get; init; } = ReasoningEffort.Medium;
    public AgentModelSettings Model { get; init; } = new();
    public IReadOnlyList<AgentToolReference> Tools { get; init; } = [];
    /// <summary>MCP servers whose tools the agent may call, as <c>functions.{server}_{tool}</c>.</summary>
    public IReadOnlyList<McpServerDefinition> McpServers { get; init; } = [];
    /// <summary>Model calls allowed per task (like the OpenAI Agents SDK's <c>max_turns</c>).</summary>
    public int MaxSteps { get; init; } = DefaultMaxSteps;
    public AgentOutputFormat Output { get; init; } = AgentOutputFormat.Text;
    /// <summary>Whether the model may, must or must not call a tool (<c>tool_choice</c>); a requirement holds until the first call.</summary>
    public AgentToolChoice ToolChoice { get; init; } = AgentToolChoice.Auto;
    /// <summary>Where the definition came from (file and line, or configuration path).</summary>
    public SourceLocation Source { get; init; } = SourceLocation.Unknown;

    public IEnumerable<string> BuiltinTools => Tools.OfType<BuiltinToolReference>().Select(t => t.Name);
    public IEnumerable<FunctionToolReference> FunctionTools => Tools.OfType<FunctionToolReference>();
}

/// <summary>Sampling settings of an agent; null means the generator's default.</summary>
public sealed record AgentModelSettings
{
    public float? Temperature { get; init; }
    public float? TopP { get; init; }
    /// <summary>Tokens the model may generate per step.</summary>
    public int? MaxTokens { get; init; }
    public long? Seed { get; init; }
}

/// <summary>A tool an agent may call.</summary>
public abstract record AgentToolReference(SourceLocation Source);

/// <summary>A built-in harmony tool: <c>browser</c>, <c>python</c> or <c>javascript</c>.</summary>
public sealed record BuiltinToolReference(string Name, SourceLocation Source) : AgentToolReference(Source)
{
    public const string Browser = "browser";
    public const string Python = "python";
    public const string JavaScript = "javascript";

    public static IReadOnlyList<string> Names { get; } = [Browser, Python, JavaScript];
}

/// <summary>A kernel plugin (every function) or one of its functions (<c>Plugin.Function</c>).</summary>
public sealed record FunctionToolReference(string Plugin, string? Function, SourceLocation Source) : AgentToolReference(Source)
{
    public override string ToString() => Function is null ? Plugin : $"{Plugin}.{Function}";
}

/// <summary>What the final answer must look like: free text, or JSON (optionally matching a schema).</summary>
public sealed record AgentOutputFormat(AgentOutputKind Kind, JsonObject? Schema = null)
{
    public static AgentOutputFormat Text { get; } = new(AgentOutputKind.Text);
}

public enum AgentOutputKind
{
    Text,
    Json,
}

/// <summary>
/// An agent's <c>tool_choice</c>: <c>auto</c> (the model decides), <c>none</c> (no tool is offered), <c>required</c> (the
/// first step must call one of its functions) or one function (<c>Plugin.function</c>: the first step must call it). After
/// that first call the model decides again, as in the OpenAI Agents SDK, or the agent would only ever call tools.
/// </summary>
public sealed record AgentToolChoice(AgentToolChoiceMode Mode, FunctionToolReference? Function = null)
{
    public static AgentToolChoice Auto { get; } = new(AgentToolChoiceMode.Auto);
    public static AgentToolChoice None { get; } = new(AgentToolChoiceMode.None);
    public static AgentToolChoice Required { get; } = new(AgentToolChoiceMode.Required);

    public override string ToString() => Mode == AgentToolChoiceMode.Function ? Function!.ToString() : Mode.ToString().ToLowerInvariant();
}

public enum AgentToolChoiceMode
{
    Auto,
    None,
    Required,
    Function,
}
