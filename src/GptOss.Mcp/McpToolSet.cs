using GptOss.Harmony;
using GptOss.Tools;

namespace GptOss.Mcp;

/// <summary>
/// The MCP servers of one run (or chat session) as <c>functions.{server}_{tool}</c>. Nothing starts until
/// <see cref="StartAsync"/>; every call goes through a <see cref="ToolExecutor"/> (time limit, circuit breaker,
/// output cap, failures as replies); disposing stops every server it started.
/// </summary>
public sealed class McpToolSet : IAsyncDisposable
{
    /// <summary>How long a server may take to start and list its tools (a first <c>npx</c> run downloads the server).</summary>
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly IReadOnlyList<McpServerConnection> _connections;
    private readonly ToolExecutor _executor;
    private Dictionary<string, (McpServerConnection Server, string Tool)> _functions = new(StringComparer.Ordinal);
    private Task? _started;

    /// <param name="servers">Distinct names.</param>
    /// <param name="options">The limits of every call (time, output, circuit breaker).</param>
    public McpToolSet(IEnumerable<McpServerDefinition> servers, ToolsOptions options)
    {
        _connections = [.. servers.Select(s => new McpServerConnection(s, StartTimeout))];
        _executor = new ToolExecutor(_connections, options);
    }

    /// <summary>The servers' tools as functions (name, description, input schema); empty before <see cref="StartAsync"/>.</summary>
    public IReadOnlyList<ToolDescription> Functions { get; private set; } = [];

    /// <summary>
    /// Starts every server (at once) and lists their tools; later calls return the first call's task. A server that
    /// cannot start, or two tools with one function name, stop them all and throw an <see cref="McpServerException"/>.
    /// </summary>
    public Task StartAsync(CancellationToken cancellationToken = default) => _started ??= StartAllAsync(cancellationToken);

    private async Task StartAllAsync(CancellationToken cancellationToken)
    {
        try
        {
            await Task.WhenAll(_connections.Select(c => c.StartAsync(cancellationToken))).ConfigureAwait(false);
        }
        catch
        {
            await DisposeAsync().ConfigureAwait(false);
            throw;
        }
        var functions = new Dictionary<string, (McpServerConnection, string)>(StringComparer.Ordinal);
        var descriptions = new List<ToolDescription>();
        foreach (var connection in _connections)
        {
            foreach (var tool in connection.Tools)
            {
                var name = McpToolNames.FunctionName(connection.Name, tool.Name);
                if (!functions.TryAdd(name, (connection, tool.Name)))
                {
                    await DisposeAsync().ConfigureAwait(false);
                    throw new McpServerException($"MCP server '{connection.Name}': two tools are offered as functions.{name}; rename a server");
                }
                descriptions.Add(McpServerConnection.ToDescription(tool, name));
            }
        }
        _functions = functions;
        Functions = descriptions;
    }

    /// <summary>Whether <c>functions.{functionName}</c> is a tool of these servers.</summary>
    public bool Handles(string functionName) => _functions.ContainsKey(functionName);

    /// <summary>The MCP name of the tool a function stands for.</summary>
    public string ToolName(string functionName) => _functions[functionName].Tool;

    /// <summary>The name of the server a function's tool is on.</summary>
    public string ServerName(string functionName) => _functions[functionName].Server.Name;

    /// <summary>
    /// Runs a call to <c>functions.{server}_{tool}</c>; the reply comes from that recipient, to the assistant, on the
    /// call's channel. Never throws but for cancellation.
    /// </summary>
    public async Task<IReadOnlyList<Message>> ExecuteAsync(Message call, string functionName, CancellationToken cancellationToken)
    {
        if (!_functions.TryGetValue(functionName, out var target))
            return [ToolMessages.Reply(call, $"Error: there is no MCP tool named functions.{functionName}.")];
        // The executor routes by the text before the first '.', so the call goes to the server as {server}.{tool}.
        var replies = await _executor.ExecuteAsync(call with { Recipient = $"{target.Server.Name}.{target.Tool}" }, cancellationToken)
            .ConfigureAwait(false);
        return [.. replies.Select(r => r with { Author = new Author(Role.Tool, call.Recipient) })];
    }

    public ValueTask DisposeAsync() => _executor.DisposeAsync();
}
