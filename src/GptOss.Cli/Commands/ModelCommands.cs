using System.CommandLine;

namespace GptOss.Cli.Commands;

/// <summary>`gptoss model ...`</summary>
internal static class ModelCommands
{
    public static Command Create()
    {
        var command = new Command("model", "Inspect, run and create gpt-oss checkpoints.");
        return command;
    }
}
