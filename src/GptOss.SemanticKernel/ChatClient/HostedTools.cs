using System.Text;
using System.Text.Json;
using GptOss.Generation;
using GptOss.Harmony;
using GptOss.Tools;
using GptOss.Tools.Execution;
using Microsoft.Extensions.AI;

namespace GptOss.SemanticKernel;

/// <summary>
/// The M.E.AI hosted tools a request asks for, run by gpt-oss's own tools as a hosted service runs them:
/// <see cref="HostedCodeInterpreterTool"/> → <c>python</c>, <see cref="HostedWebSearchTool"/> → <c>browser</c>.
/// Owns one <see cref="ToolExecutor"/> for the call (the python session and browser page stack live as long as it).
/// Calls and results surface as <see cref="CodeInterpreterToolCallContent"/>/<see cref="CodeInterpreterToolResultContent"/>
/// and <see cref="WebSearchToolCallContent"/>/<see cref="WebSearchToolResultContent"/>, with the harmony messages as
/// <see cref="AIContent.RawRepresentation"/>.
/// </summary>
internal sealed class HostedTools : IAsyncDisposable
{
    /// <summary>Hosted calls one response may make before it ends unfinished (a model looping on a tool must stop).</summary>
    public const int MaxCallsPerResponse = 16;

    public const string Python = "python";
    public const string Browser = "browser";

    private readonly ToolExecutor _executor;
    private readonly IReadOnlySet<string> _requested;
    private readonly IReadOnlySet<string> _functionNames;

    private HostedTools(ToolExecutor executor, IReadOnlySet<string> requested, IReadOnlySet<string> functionNames)
    {
        _executor = executor;
        _requested = requested;
        _functionNames = functionNames;
    }

    /// <summary>The namespaces of the requested tools, for the system message.</summary>
    public IReadOnlyList<ToolNamespaceConfig> Namespaces => _executor.Namespaces.Where(n => _requested.Contains(n.Name)).ToList();

    /// <summary>
    /// The hosted tools <paramref name="options"/> asks for, or null when it asks for none.
    /// </summary>
    /// <exception cref="NotSupportedException">A hosted tool is asked for but this client has no tools, or the tool cannot run here (with the reason).</exception>
    public static async Task<HostedTools?> ForAsync(ChatOptions? options, IToolExecutorFactory? factory)
    {
        if (options is null or { ToolMode: NoneChatToolMode } || options.Tools is not { Count: > 0 } tools) return null;
        var requested = new HashSet<string>(StringComparer.Ordinal);
        foreach (var tool in tools)
        {
            if (tool is HostedCodeInterpreterTool) requested.Add(Python);
            else if (tool is HostedWebSearchTool) requested.Add(Browser);
        }
        if (requested.Count == 0) return null;
        if (factory is null)
        {
            throw new NotSupportedException($"this gpt-oss client has no tools to host {string.Join(" and ", requested)}: give GptOssChatClient an IToolExecutorFactory");
        }
        var executor = factory.Create();
        var unavailable = requested.Where(t => !executor.Namespaces.Any(n => n.Name == t)).ToList();
        if (unavailable.Count > 0)
        {
            var reasons = unavailable.Select(t => executor.Unavailable.TryGetValue(t, out var why) ? $"{t}: {why}" : $"{t}: disabled in the Tools settings");
            await executor.DisposeAsync().ConfigureAwait(false);
            throw new NotSupportedException($"the hosted tool cannot run here ({string.Join("; ", reasons)})");
        }
        var functions = tools.OfType<AIFunctionDeclaration>().Select(f => f.Name).ToHashSet(StringComparer.Ordinal);
        return new HostedTools(executor, requested, functions);
    }

    /// <summary>Whether this call goes to a hosted tool (also <c>functions.python</c> and the like, which gpt-oss writes for its built-ins, unless a function has that name).</summary>
    public bool Handles(HarmonyToolCall call) => ToolOf(call) is not null;

    /// <summary>The content that reports the call to the caller.</summary>
    public ToolCallContent Describe(HarmonyToolCall call, string callId) => ToolOf(call) == Python
        ? new CodeInterpreterToolCallContent(callId)
        {
            Inputs = [new DataContent(Encoding.UTF8.GetBytes(call.Arguments), "text/x-python")],
            RawRepresentation = call.Message,
        }
        : new WebSearchToolCallContent(callId)
        {
            Queries = SearchQuery(call) is { } query ? [query] : null,
            RawRepresentation = call.Message,
        };

    /// <summary>Runs the call; the result's <see cref="AIContent.RawRepresentation"/> is the tool's harmony replies.</summary>
    public async Task<ToolResultContent> RunAsync(HarmonyToolCall call, string callId, CancellationToken cancellationToken)
    {
        var message = ToolOf(call) is { } tool && call.Namespace == KernelFunctionTools.Namespace
            ? call.Message with { Recipient = tool == Python ? Python : $"{Browser}.{call.Name}" }
            : call.Message;
        var replies = await _executor.ExecuteAsync(message, cancellationToken).ConfigureAwait(false);
        // The replies answer the recipient the model wrote, so the prompt shows the call it made.
        var addressed = replies.Select(r => r with { Author = new Author(Role.Tool, call.Recipient) }).ToList();
        List<AIContent> outputs = [.. addressed.Select(r => new Microsoft.Extensions.AI.TextContent(r.Text))];
        return ToolOf(call) == Python
            ? new CodeInterpreterToolResultContent(callId) { Outputs = outputs, RawRepresentation = addressed }
            : new WebSearchToolResultContent(callId) { Outputs = outputs, RawRepresentation = addressed };
    }

    private string? ToolOf(HarmonyToolCall call)
    {
        var tool = call.Namespace == KernelFunctionTools.Namespace && call.Name is { } name && !_functionNames.Contains(name)
            ? ToolRouting.BuiltinToolFor(name)
            : call.Namespace;
        return tool is not null && _requested.Contains(tool) ? tool : null;
    }

    private static string? SearchQuery(HarmonyToolCall call)
    {
        if (!call.Recipient.EndsWith(".search", StringComparison.Ordinal)) return null;
        try
        {
            using var args = JsonDocument.Parse(call.Arguments);
            return args.RootElement.ValueKind == JsonValueKind.Object && args.RootElement.TryGetProperty("query", out var q)
                && q.ValueKind == JsonValueKind.String ? q.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public ValueTask DisposeAsync() => _executor.DisposeAsync();
}
