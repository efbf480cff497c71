using System.CommandLine;

namespace GptOss.Cli.Tests;

/// <summary>Runs commands in-process under a root command, with their output and error streams captured.</summary>
internal static class CommandRun
{
    public static async Task<(int Exit, string Out, string Err)> Invoke(IEnumerable<Command> commands, params string[] args)
    {
        var root = new RootCommand();
        foreach (var command in commands) root.Subcommands.Add(command);
        var output = new StringWriter();
        var error = new StringWriter();
        int exit = await root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
        return (exit, output.ToString(), error.ToString());
    }
}
