using System.CommandLine;

namespace GptOss.Cli.Views;

/// <summary>The flags of the commands that show a run on the terminal (run, chat).</summary>
internal static class ViewFlags
{
    public static readonly Option<bool> HideThinking = new("--hide-thinking") { Description = "Do not show the model's reasoning" };

    public static readonly Option<bool> Verbose = new("--verbose") { Description = "After each answer, show load time, prompt and generation speed and time to first token" };

    public static void AddTo(Command command)
    {
        command.Options.Add(HideThinking);
        command.Options.Add(Verbose);
    }

    /// <summary>The view the flags ask for; reasoning is dim when stderr is a terminal.</summary>
    public static TerminalViewOptions Read(ParseResult r, TimeSpan? loadTime) => new()
    {
        HideThinking = r.GetValue(HideThinking),
        Verbose = r.GetValue(Verbose),
        Dim = r.InvocationConfiguration.Error == Console.Error && !Console.IsErrorRedirected,
        LoadTime = loadTime,
    };
}
