using System.CommandLine;

namespace GptOss.Cli.Commands;

/// <summary>`gptoss harmony ...`</summary>
internal static class HarmonyCommands
{
    public static Command Create()
    {
        var command = new Command("harmony", "Render and parse the harmony chat format.");
        return command;
    }
}
