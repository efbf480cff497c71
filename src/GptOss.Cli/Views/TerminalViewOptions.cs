namespace GptOss.Cli.Views;

/// <summary>How <see cref="TerminalView"/> shows a run.</summary>
internal sealed record TerminalViewOptions
{
    /// <summary>Leave the chain of thought out (<c>--hide-thinking</c>).</summary>
    public bool HideThinking { get; init; }

    /// <summary>After each answer, the speeds and counts of the run (<c>--verbose</c>).</summary>
    public bool Verbose { get; init; }

    /// <summary>Show reasoning dim (ANSI), for a terminal that is not redirected.</summary>
    public bool Dim { get; init; }

    /// <summary>How long the model took to load, shown once with <see cref="Verbose"/>.</summary>
    public TimeSpan? LoadTime { get; init; }
}
