using System.Text.Json;
using System.Text.Json.Nodes;
using GptOss.Constraints;
using Microsoft.Extensions.AI;

namespace GptOss.SemanticKernel;

/// <summary>
/// What <see cref="ChatOptions"/> require of the answer, as the pipeline's <see cref="AnswerConstraint"/>:
/// <see cref="ChatOptions.ResponseFormat"/> (JSON, or JSON valid against a schema), <see cref="ChatToolMode.RequireAny"/>
/// and <see cref="ChatToolMode.RequireSpecific"/> (a call of one of the offered functions), functions marked strict, and a
/// reasoning budget. Every front door (chat completions, SK, agents through SK's settings) reaches the pipeline through here.
/// </summary>
public static class ChatOptionsConstraint
{
    /// <summary>
    /// The <see cref="AITool.AdditionalProperties"/> (or <see cref="ChatOptions.AdditionalProperties"/>, for every function)
    /// key that marks a function's arguments as always constrained to its schema: the key M.E.AI's OpenAI client reads too.
    /// </summary>
    public const string StrictKey = "strict";

    /// <summary>The <see cref="ChatOptions.AdditionalProperties"/> key of <see cref="AnswerConstraint.MaxReasoningTokens"/>.</summary>
    public const string MaxReasoningTokensKey = "max_reasoning_tokens";

    /// <summary>The functions <paramref name="options"/> offer the model: none when <see cref="ChatToolMode.None"/>.</summary>
    public static IReadOnlyList<AIFunctionDeclaration> OfferedFunctions(ChatOptions? options) =>
        options is { ToolMode: not NoneChatToolMode, Tools: { Count: > 0 } tools } ? tools.OfType<AIFunctionDeclaration>().ToList() : [];

    /// <summary>The constraint <paramref name="options"/> put on the answer; null when the answer is free.</summary>
    /// <exception cref="ArgumentException">A call is required but no function is offered, or the required function is not among them.</exception>
    public static AnswerConstraint? From(ChatOptions? options)
    {
        if (options is null) return null;
        var offered = OfferedFunctions(options);
        var format = options.ResponseFormat switch
        {
            ChatResponseFormatJson { Schema: { } schema } => new AnswerFormat(schema),
            ChatResponseFormatJson => AnswerFormat.AnyJsonObject,
            _ => null,
        };
        var requiredCall = options.ToolMode is RequiredChatToolMode required ? RequiredCall(required, offered) : null;
        var strict = offered.Where(f => IsStrict(f, options)).Select(Signature).ToList();
        var maxReasoningTokens = MaxReasoningTokens(options);
        if (format is null && requiredCall is null && strict.Count == 0 && maxReasoningTokens is null) return null;
        return new AnswerConstraint
        {
            Format = format,
            RequiredCall = requiredCall,
            StrictFunctions = strict,
            // Offered tools stay callable beside a format, as with OpenAI (tool_choice auto).
            CallsAllowed = offered.Count > 0,
            MaxReasoningTokens = maxReasoningTokens,
        };
    }

    private static List<FunctionSignature> RequiredCall(RequiredChatToolMode mode, IReadOnlyList<AIFunctionDeclaration> offered)
    {
        if (offered.Count == 0)
        {
            throw new ArgumentException("tool_choice requires a function call, but no function is offered in tools.");
        }
        if (mode.RequiredFunctionName is not { } name) return offered.Select(Signature).ToList();
        var function = offered.FirstOrDefault(f => string.Equals(f.Name, name, StringComparison.Ordinal))
            ?? throw new ArgumentException(
                $"tool_choice names the function '{name}', which is not among the offered tools ({string.Join(", ", offered.Select(f => f.Name))}).");
        return [Signature(function)];
    }

    private static FunctionSignature Signature(AIFunctionDeclaration function) => Signature(function.Name, function.JsonSchema);

    /// <summary>
    /// A function's signature for the constraint. SK writes a kernel function's description into its parameter schema
    /// as a top-level <c>condition</c>, which is no JSON Schema keyword: it is dropped, or the schema would be refused.
    /// </summary>
    public static FunctionSignature Signature(string name, JsonElement parameters)
    {
        if (parameters.ValueKind != JsonValueKind.Object || !parameters.TryGetProperty(SemanticKernelDescriptionKey, out _)) return new(name, parameters);
        var schema = JsonNode.Parse(parameters.GetRawText())!.AsObject();
        schema.Remove(SemanticKernelDescriptionKey);
        return new(name, JsonSerializer.SerializeToElement(schema));
    }

    private const string SemanticKernelDescriptionKey = "condition";

    // A function's own flag wins over the options-wide default, as in M.E.AI's OpenAI client.
    private static bool IsStrict(AIFunctionDeclaration function, ChatOptions options) =>
        Flag(function.AdditionalProperties) ?? Flag(options.AdditionalProperties) ?? false;

    private static bool? Flag(IReadOnlyDictionary<string, object?>? properties) =>
        properties?.TryGetValue(StrictKey, out var value) == true && value is bool flag ? flag : null;

    private static int? MaxReasoningTokens(ChatOptions options)
    {
        if (options.AdditionalProperties?.TryGetValue(MaxReasoningTokensKey, out var value) != true || value is null) return null;
        return value switch
        {
            int n and >= 0 => n,
            long n and >= 0 and <= int.MaxValue => (int)n,
            string s when int.TryParse(s, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) => n,
            System.Text.Json.JsonElement { ValueKind: System.Text.Json.JsonValueKind.Number } e when e.TryGetInt32(out var n) && n >= 0 => n,
            _ => throw new ArgumentException($"{MaxReasoningTokensKey} must be a non-negative integer, not '{value}'."),
        };
    }
}
