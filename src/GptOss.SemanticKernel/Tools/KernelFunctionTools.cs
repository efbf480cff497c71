using GptOss.Generation;
using System.Text.Json;
using System.Text.Json.Nodes;
using GptOss.Harmony;
using Microsoft.Extensions.AI;
using Microsoft.SemanticKernel;

namespace GptOss.SemanticKernel;

/// <summary>
/// Kernel functions as harmony's <c>functions</c> namespace, and harmony calls back into kernel functions.
/// <para>
/// Naming: a function's harmony name is its Microsoft.Extensions.AI name, <c>{Plugin}_{Function}</c> (just
/// <c>{Function}</c> without a plugin): an identifier, as gpt-oss function names must be, and the name SK's own
/// <c>IChatClient</c> auto-invocation looks functions up by. The model calls it as <c>functions.{Plugin}_{Function}</c>.
/// Plugin names may contain underscores, so the mapping back is a lookup among the offered functions
/// (exact, ordinal), never a split.
/// </para>
/// </summary>
public static class KernelFunctionTools
{
    /// <summary>The harmony namespace of developer-defined functions.</summary>
    public const string Namespace = "functions";

    /// <summary>The harmony name of a kernel function: <c>{Plugin}_{Function}</c>.</summary>
    public static string ToolName(KernelFunction function) => ToolName(function.PluginName, function.Name);

    /// <summary>The harmony name of a plugin's function: <c>{Plugin}_{Function}</c>, or <c>{Function}</c> without a plugin.</summary>
    public static string ToolName(string? pluginName, string functionName) =>
        string.IsNullOrEmpty(pluginName) ? functionName : $"{pluginName}_{functionName}";

    /// <summary>The <c>functions</c> namespace for <paramref name="functions"/> (name, description, JSON schema).</summary>
    public static ToolNamespaceConfig ToNamespace(IEnumerable<AIFunctionDeclaration> functions) =>
        new(Namespace, null, functions.Select(ToTool).ToList());

    /// <summary>Every function of every plugin of <paramref name="kernel"/> as the <c>functions</c> namespace.</summary>
    public static ToolNamespaceConfig ToNamespace(Kernel kernel) => ToNamespace(AllFunctions(kernel));

    /// <summary>One function as a harmony tool; its parameters are its JSON schema.</summary>
    public static ToolDescription ToTool(AIFunctionDeclaration function)
    {
        var parameters = JsonNode.Parse(function.JsonSchema.GetRawText()) as JsonObject;
        return new ToolDescription(function.Name, function.Description ?? "", parameters);
    }

    /// <summary>The kernel function a harmony name (<c>Plugin_Function</c>, with or without <c>functions.</c>) refers to.</summary>
    public static KernelFunction? Find(Kernel kernel, string toolName)
    {
        var name = toolName.StartsWith(Namespace + ".", StringComparison.Ordinal) ? toolName[(Namespace.Length + 1)..] : toolName;
        return AllFunctions(kernel).FirstOrDefault(f => string.Equals(ToolName(f), name, StringComparison.Ordinal));
    }

    /// <summary>
    /// Parses a call's JSON arguments for <paramref name="function"/>. Throws <see cref="ArgumentException"/>
    /// naming the problem when the text is not a JSON object or a required parameter is missing.
    /// </summary>
    public static KernelArguments ParseArguments(KernelFunction function, string json)
    {
        JsonObject? args;
        try
        {
            args = string.IsNullOrWhiteSpace(json) ? new JsonObject() : JsonNode.Parse(json) as JsonObject;
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"the arguments are not valid JSON ({e.Message})", nameof(json), e);
        }
        if (args is null) throw new ArgumentException("the arguments must be a JSON object", nameof(json));

        var missing = function.Metadata.Parameters
            .Where(p => p.IsRequired && !args.ContainsKey(p.Name))
            .Select(p => p.Name)
            .ToList();
        if (missing.Count > 0)
        {
            throw new ArgumentException($"missing required argument(s): {string.Join(", ", missing)}", nameof(json));
        }

        var arguments = new KernelArguments();
        foreach (var (name, value) in args)
        {
            arguments[name] = value is JsonValue v && v.GetValueKind() == JsonValueKind.String
                ? v.GetValue<string>()
                : JsonSerializer.SerializeToElement(value);
        }
        return arguments;
    }

    /// <summary>
    /// Runs a harmony call to <c>functions.X</c> on <paramref name="kernel"/> and returns the tool's reply.
    /// An unknown function, bad arguments or a function that throws give an <c>Error: ...</c> reply the model
    /// can react to; only cancellation propagates.
    /// </summary>
    public static async Task<ToolCallOutcome> InvokeAsync(Kernel kernel, HarmonyToolCall call, CancellationToken cancellationToken = default)
    {
        var function = call.Namespace == Namespace && call.Name is { } name ? Find(kernel, name) : null;
        if (function is null)
        {
            var available = string.Join(", ", AllFunctions(kernel).Select(f => $"{Namespace}.{ToolName(f)}"));
            return Failed(call, $"there is no tool named {call.Recipient}. Available functions: {(available.Length > 0 ? available : "none")}.");
        }

        KernelArguments arguments;
        try
        {
            arguments = ParseArguments(function, call.Arguments);
        }
        catch (ArgumentException e)
        {
            return Failed(call, $"{call.Recipient} was not called: {e.Message}. Schema: {function.JsonSchema.GetRawText()}");
        }

        try
        {
            var result = await function.InvokeAsync(kernel, arguments, cancellationToken).ConfigureAwait(false);
            var content = ResultText(result.GetValue<object>());
            return new ToolCallOutcome(call.Reply(content), content, Failed: false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            return Failed(call, $"{call.Recipient} failed: {e.Message}");
        }
    }

    /// <summary>A function result as tool message text: strings verbatim, anything else as JSON.</summary>
    public static string ResultText(object? value) => value switch
    {
        null => "",
        string s => s,
        JsonElement e => e.ValueKind == JsonValueKind.String ? e.GetString()! : e.GetRawText(),
        _ => JsonSerializer.Serialize(value, CompactJson),
    };

    /// <summary>M.E.AI's JSON settings without indentation: tool text is read by the model, token by token.</summary>
    internal static JsonSerializerOptions CompactJson { get; } = new(AIJsonUtilities.DefaultOptions) { WriteIndented = false };

    private static ToolCallOutcome Failed(HarmonyToolCall call, string problem)
    {
        var content = $"Error: {problem}";
        return new ToolCallOutcome(call.Reply(content), content, Failed: true);
    }

    private static IEnumerable<KernelFunction> AllFunctions(Kernel kernel) => kernel.Plugins.SelectMany(p => p);
}

/// <summary>What running a tool call produced: the harmony reply to append, its text, and whether it is an error.</summary>
public sealed record ToolCallOutcome(Message Reply, string Content, bool Failed);
