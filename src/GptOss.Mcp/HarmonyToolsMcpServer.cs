using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using GptOss.Harmony;
using GptOss.Tools;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;
using Role = GptOss.Harmony.Role;

namespace GptOss.Mcp;

/// <summary>
/// gpt-oss's sandboxed tools (python, javascript, browser) served to MCP clients: a tool namespace without functions
/// becomes one MCP tool taking <c>{code}</c> (<c>python</c>), each function of one with functions an MCP tool
/// <c>{namespace}_{function}</c> with its own JSON schema (<c>browser_search</c>). Descriptions are the ones the model
/// reads. Each MCP session gets its own <see cref="ToolExecutor"/> (python state, browser pages), disposed with it.
/// </summary>
public sealed class HarmonyToolsMcpServer(IToolExecutorFactory tools, IReadOnlySet<string> enabled) : IAsyncDisposable
{
    private const string CodeParameter = "code";

    // Lazy: two first requests of one session racing must not both create an executor (and a python worker).
    private readonly ConcurrentDictionary<McpServer, Lazy<ToolExecutor>> _sessions = new();

    /// <summary>The enabled tools this machine cannot run, with the reason (python without its sandbox).</summary>
    public async Task<IReadOnlyDictionary<string, string>> UnavailableAsync()
    {
        await using var executor = tools.Create();
        return executor.Unavailable.Where(u => enabled.Contains(u.Key)).ToDictionary();
    }

    /// <summary>Sets the list and call handlers of <paramref name="options"/>.</summary>
    public void Configure(McpServerOptions options)
    {
        options.Capabilities ??= new ServerCapabilities();
        options.Capabilities.Tools ??= new ToolsCapability();
        options.Handlers.ListToolsHandler = (request, _) => ValueTask.FromResult(new ListToolsResult { Tools = List(Session(request.Server)) });
        options.Handlers.CallToolHandler = (request, cancellationToken) => CallAsync(Session(request.Server), request.Params!, cancellationToken);
    }

    /// <summary>Ends a session: its executor (and python worker) goes.</summary>
    public ValueTask EndSessionAsync(McpServer server) =>
        _sessions.TryRemove(server, out var executor) && executor.IsValueCreated ? executor.Value.DisposeAsync() : ValueTask.CompletedTask;

    private ToolExecutor Session(McpServer server) => _sessions.GetOrAdd(server, _ => new Lazy<ToolExecutor>(tools.Create)).Value;

    private List<Tool> List(ToolExecutor executor) =>
        [.. Entries(executor).Select(e => new Tool { Name = e.Name, Description = e.Description, InputSchema = e.Schema })];

    /// <summary>Every MCP tool of the enabled namespaces: its name, the harmony recipient it calls, and whether it takes raw code.</summary>
    private IEnumerable<(string Name, string Recipient, bool TakesCode, string Description, JsonElement Schema)> Entries(ToolExecutor executor)
    {
        foreach (var ns in executor.Namespaces.Where(n => enabled.Contains(n.Name)))
        {
            if (ns.Tools.Count == 0)
            {
                yield return (ns.Name, ns.Name, true, ns.Description ?? "", CodeSchema(ns.Name));
                continue;
            }
            foreach (var tool in ns.Tools)
            {
                var schema = tool.Parameters ?? new JsonObject { ["type"] = "object", ["properties"] = new JsonObject() };
                yield return ($"{ns.Name}_{tool.Name}", $"{ns.Name}.{tool.Name}", false, tool.Description, JsonSerializer.SerializeToElement(schema));
            }
        }
    }

    private static JsonElement CodeSchema(string language) => JsonSerializer.SerializeToElement(new JsonObject
    {
        ["type"] = "object",
        ["properties"] = new JsonObject { [CodeParameter] = new JsonObject { ["type"] = "string", ["description"] = $"The {language} code to run." } },
        ["required"] = new JsonArray(CodeParameter),
    });

    /// <summary>Runs a call through the session's executor (time limit, circuit breaker, output cap); its replies are the result's text.</summary>
    private async ValueTask<CallToolResult> CallAsync(ToolExecutor executor, CallToolRequestParams call, CancellationToken cancellationToken)
    {
        var entry = Entries(executor).FirstOrDefault(e => e.Name == call.Name);
        if (entry.Name is null) return Error($"Unknown tool '{call.Name}'. Available tools: {string.Join(", ", Entries(executor).Select(e => e.Name))}.");
        string text;
        if (entry.TakesCode)
        {
            if (call.Arguments?.TryGetValue(CodeParameter, out var code) != true || code.ValueKind != JsonValueKind.String)
                return Error($"'{call.Name}' needs the argument '{CodeParameter}' (a string).");
            text = code.GetString()!;
        }
        else
        {
            text = JsonSerializer.Serialize(call.Arguments ?? new Dictionary<string, JsonElement>());
        }
        var message = new Message(new Author(Role.Assistant, null), [new TextContent(text)]) { Recipient = entry.Recipient, Channel = "analysis" };
        var replies = await executor.ExecuteAsync(message, cancellationToken).ConfigureAwait(false);
        return new CallToolResult { Content = [.. replies.Select(r => new TextContentBlock { Text = r.Text ?? "" })] };
    }

    private static CallToolResult Error(string text) => new() { IsError = true, Content = [new TextContentBlock { Text = text }] };

    public async ValueTask DisposeAsync()
    {
        foreach (var server in _sessions.Keys) await EndSessionAsync(server).ConfigureAwait(false);
    }
}
