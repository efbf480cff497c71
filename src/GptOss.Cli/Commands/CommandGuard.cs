using System.CommandLine;
using GptOss.Agents;
using GptOss.Cli.Views;

namespace GptOss.Cli.Commands;

/// <summary>How every command ends on an error: one clear line on stderr (never a stack trace) and a non-zero exit code.</summary>
internal static class CommandGuard
{
    /// <summary>Runs <paramref name="action"/>; configuration errors list each location, anything else is one <c>error:</c> line (exit 1), cancellation exits 130.</summary>
    public static async Task<int> Run(ParseResult r, Func<Task<int>> action)
    {
        var error = r.InvocationConfiguration.Error;
        try
        {
            return await action();
        }
        catch (AgentConfigurationException e)
        {
            foreach (var problem in e.Errors) await error.WriteLineAsync(problem.ToString());
            await error.WriteLineAsync($"error: {e.Errors.Count} error(s) in the agent configuration; run 'gptoss agents validate'");
            return 1;
        }
        catch (OperationCanceledException)
        {
            await error.WriteLineAsync("cancelled");
            return 130;
        }
        catch (Exception e)
        {
            await error.WriteLineAsync($"error: {TerminalText.Escape(e.Message.ReplaceLineEndings(" "))}");
            return 1;
        }
    }

    public static Task<int> Run(ParseResult r, Func<int> action) => Run(r, () => Task.FromResult(action()));
}
