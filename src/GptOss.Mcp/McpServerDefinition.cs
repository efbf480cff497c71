namespace GptOss.Mcp;

/// <summary>
/// An MCP server an agent may call: a local program spoken to over stdio (<see cref="Command"/>) or a streamable
/// HTTP endpoint (<see cref="Url"/>); exactly one of the two is set.
/// </summary>
public sealed record McpServerDefinition
{
    /// <summary>Letters, digits, '-' and '_': its tools reach the model as <c>functions.{Name}_{tool}</c>.</summary>
    public required string Name { get; init; }

    /// <summary>The program to start (a path, or a name looked up on PATH); null for an HTTP server.</summary>
    public string? Command { get; init; }

    public IReadOnlyList<string> Arguments { get; init; } = [];

    /// <summary>Variables set for the program, on top of the launch basics (or of the whole host environment with <see cref="InheritEnvironment"/>).</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>The program's working folder; null: the host's current folder.</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>
    /// Whether the program gets the host's whole environment (secrets included). Off, it gets only what starting a
    /// program needs (PATH, HOME, USER, LOGNAME, SHELL, TERM) and <see cref="Environment"/>.
    /// </summary>
    public bool InheritEnvironment { get; init; }

    /// <summary>The streamable HTTP endpoint; null for a stdio server.</summary>
    public Uri? Url { get; init; }

    /// <summary>Headers sent with every HTTP request (an Authorization token).</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    /// <summary>The tools offered to the model, by their MCP names; null: all the server lists.</summary>
    public IReadOnlySet<string>? AllowedTools { get; init; }

    /// <summary>How it is reached, for messages: the command line or the URL.</summary>
    public string Describe() => Url is not null ? Url.ToString() : string.Join(' ', new[] { Command! }.Concat(Arguments));
}
