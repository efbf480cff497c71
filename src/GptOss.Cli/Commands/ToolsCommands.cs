using System.CommandLine;

namespace GptOss.Cli.Commands;

/// <summary>`gptoss tools ...`</summary>
internal static class ToolsCommands
{
    public static Command Create()
    {
        var command = new Command("tools", "Run the model's tools (python, javascript, browser) by hand.");
        return command;
    }
}
