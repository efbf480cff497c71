namespace GptOss.Agents;

/// <summary>
/// Where a piece of configuration came from: a file with a 1-based line and column, or a
/// configuration path (no line) when it came through <c>IConfiguration</c>.
/// </summary>
public sealed record SourceLocation(string Source, int Line = 0, int Column = 0)
{
    public static SourceLocation Unknown { get; } = new("(unknown)");

    public override string ToString() => Line > 0 ? $"{Source}:{Line}:{Column}" : Source;
}

/// <summary>One problem in an agent definition, with its location.</summary>
public sealed record AgentConfigError(SourceLocation Location, string Message)
{
    public override string ToString() => $"{Location}: {Message}";
}

/// <summary>Thrown when agent configuration is invalid; <see cref="Errors"/> names every problem with its location.</summary>
public sealed class AgentConfigurationException(IReadOnlyList<AgentConfigError> errors)
    : Exception(string.Join(Environment.NewLine, errors))
{
    public IReadOnlyList<AgentConfigError> Errors { get; } = errors;
}
