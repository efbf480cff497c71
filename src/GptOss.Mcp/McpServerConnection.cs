using System.Text.Json;
using System.Text.Json.Nodes;
using GptOss.Harmony;
using GptOss.Tools;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace GptOss.Mcp;

/// <summary>
/// One MCP server as a harmony tool named after the server: started by <see cref="StartAsync"/> (the program is
/// launched, or the endpoint connected, and its tools listed), called as <c>{server}.{tool}</c> through a
/// <see cref="ToolExecutor"/>, stopped (the program and its children killed) on dispose.
/// </summary>
internal sealed class McpServerConnection(McpServerDefinition server, TimeSpan startTimeout) : IHarmonyTool, IAsyncDisposable
{
    private const int StderrLinesKept = 5;
    private readonly Queue<string> _stderr = new();
    private McpClient? _client;

    public string Name => server.Name;

    /// <summary>The server's tools as it listed them (empty before <see cref="StartAsync"/>).</summary>
    public IReadOnlyList<McpClientTool> Tools { get; private set; } = [];

    public ToolNamespaceConfig Namespace => new(server.Name, null, [.. Tools.Select(t => ToDescription(t, t.Name))]);

    /// <summary>A tool as the model sees it: its description and its input schema as the parameters.</summary>
    public static ToolDescription ToDescription(McpClientTool tool, string name) =>
        new(name, tool.Description ?? "", JsonNode.Parse(tool.JsonSchema.GetRawText()) as JsonObject);

    /// <summary>Starts the server and lists its tools; a failure is an <see cref="McpServerException"/> naming the server and why.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(startTimeout);
        try
        {
            _client = await McpClient.CreateAsync(CreateTransport(), cancellationToken: timeout.Token).ConfigureAwait(false);
            var tools = await _client.ListToolsAsync(cancellationToken: timeout.Token).ConfigureAwait(false);
            Tools = [.. tools.Where(t => server.AllowedTools?.Contains(t.Name) ?? true)];
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (OperationCanceledException e)
        {
            throw Failure($"it did not answer within {startTimeout.TotalSeconds:0.#} seconds", e);
        }
        catch (Exception e)
        {
            throw Failure(e.Message, e);
        }
    }

    private McpServerException Failure(string why, Exception inner)
    {
        string[] stderr;
        lock (_stderr) stderr = [.. _stderr];
        var said = stderr.Length == 0 ? "" : $" (stderr: {string.Join(" | ", stderr)})";
        return new McpServerException($"MCP server '{server.Name}' ({server.Describe()}) could not start: {why.ReplaceLineEndings(" ")}{said}", inner);
    }

    private IClientTransport CreateTransport()
    {
        if (server.Url is { } url)
        {
            return new HttpClientTransport(new HttpClientTransportOptions
            {
                Name = server.Name,
                Endpoint = url,
                TransportMode = HttpTransportMode.StreamableHttp,
                AdditionalHeaders = server.Headers.ToDictionary(),
                ConnectionTimeout = startTimeout,
            });
        }
        var environment = server.InheritEnvironment
            ? new Dictionary<string, string?>()
            : StdioClientTransportOptions.GetDefaultEnvironmentVariables();
        foreach (var (key, value) in server.Environment) environment[key] = value;
        return new StdioClientTransport(new StdioClientTransportOptions
        {
            Name = server.Name,
            Command = server.Command!,
            Arguments = [.. server.Arguments],
            WorkingDirectory = server.WorkingDirectory,
            InheritEnvironmentVariables = server.InheritEnvironment,
            EnvironmentVariables = environment,
            StandardErrorLines = KeepStderr,
        });
    }

    // The last lines the program wrote to stderr explain most failed starts (a missing module, a bad flag).
    private void KeepStderr(string line)
    {
        lock (_stderr)
        {
            _stderr.Enqueue(line);
            while (_stderr.Count > StderrLinesKept) _stderr.Dequeue();
        }
    }

    // An MCP call may have side effects on the server: a failed one is never repeated.
    public bool IsTransient(Exception exception) => false;

    /// <summary>
    /// Calls <c>{server}.{tool}</c> with the message's JSON arguments. What the model can correct (arguments that are
    /// not a JSON object, an unknown tool, the tool's own error result) is a <see cref="ToolUsageException"/>; a
    /// broken connection or a dead server throws, for the executor's circuit breaker to count.
    /// </summary>
    public async Task<IReadOnlyList<Message>> ProcessAsync(Message call, CancellationToken cancellationToken)
    {
        var client = _client ?? throw new InvalidOperationException($"MCP server '{server.Name}' is not started");
        var recipient = call.Recipient ?? "";
        var tool = recipient.StartsWith(server.Name + ".", StringComparison.Ordinal) ? recipient[(server.Name.Length + 1)..] : "";
        var arguments = ParseArguments(call.Text ?? "");
        CallToolResult result;
        try
        {
            result = await client.CallToolAsync(tool, arguments, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (McpProtocolException e)
        {
            throw new ToolUsageException($"Error: {e.Message}");
        }
        var text = ResultText(result);
        if (result.IsError == true) throw new ToolUsageException($"Error: {text}");
        return [ToolMessages.Reply(call, text)];
    }

    private static Dictionary<string, object?> ParseArguments(string json)
    {
        JsonNode? node;
        try
        {
            node = string.IsNullOrWhiteSpace(json) ? new JsonObject() : JsonNode.Parse(json);
        }
        catch (JsonException e)
        {
            throw new ToolUsageException($"Error: the arguments are not valid JSON ({e.Message})");
        }
        if (node is not JsonObject args) throw new ToolUsageException("Error: the arguments must be a JSON object");
        return args.ToDictionary(p => p.Key, p => (object?)(p.Value is null ? null : JsonSerializer.SerializeToElement(p.Value)));
    }

    /// <summary>The text blocks of a result; other blocks are named, not inlined (an image's base64 is no use to the model).</summary>
    private static string ResultText(CallToolResult result)
    {
        var parts = result.Content.Select(block => block switch
        {
            TextContentBlock text => text.Text,
            ImageContentBlock image => $"[image {image.MimeType}]",
            AudioContentBlock audio => $"[audio {audio.MimeType}]",
            _ => $"[{block.Type}]",
        }).ToList();
        if (parts.Count == 0 && result.StructuredContent is { } structured) parts.Add(structured.GetRawText());
        return string.Join("\n", parts);
    }

    public async ValueTask DisposeAsync()
    {
        if (_client is not null) await _client.DisposeAsync().ConfigureAwait(false);
    }
}
