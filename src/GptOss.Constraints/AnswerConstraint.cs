using System.Text.Json;

namespace GptOss.Constraints;

/// <summary>
/// What a request requires of the assistant's answer, as the front doors parse it (chat completions'
/// <c>response_format</c> and <c>tool_choice</c>, SK and M.E.AI settings, an agent's <c>output.schema</c>). The chain of
/// thought stays free; the answer that follows it is forced. Compiled once per request into a token-level constraint.
/// </summary>
public sealed record AnswerConstraint
{
    /// <summary>The final answer's format; null leaves it free (or a tool call is required instead).</summary>
    public AnswerFormat? Format { get; init; }

    /// <summary>The answer must be a call of one of these functions (<c>tool_choice</c> required or named); null = not required.</summary>
    public IReadOnlyList<FunctionSignature>? RequiredCall { get; init; }

    /// <summary>Functions whose arguments are constrained to their schema whenever the model calls them (<c>strict: true</c>).</summary>
    public IReadOnlyList<FunctionSignature> StrictFunctions { get; init; } = [];

    /// <summary>
    /// Whether the model may call a tool instead of giving the formatted answer (tools offered with <c>tool_choice</c>
    /// auto): a call of a strict function has its arguments constrained, any other its arguments free.
    /// </summary>
    public bool CallsAllowed { get; init; }

    /// <summary>Most tokens the analysis may take before the engine ends it so the answer fits; null = the default for the effort.</summary>
    public int? MaxReasoningTokens { get; init; }
}

/// <summary>A final answer format: a JSON document valid against <see cref="Schema"/>, or any JSON object when null.</summary>
public sealed record AnswerFormat(JsonElement? Schema)
{
    public static AnswerFormat AnyJsonObject { get; } = new((JsonElement?)null);
}

/// <summary>A function the model may call, by the name it has in the harmony tools section (<c>functions.{Name}</c>), with its arguments' JSON Schema.</summary>
public sealed record FunctionSignature(string Name, JsonElement Parameters);
