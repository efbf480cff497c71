using System.CommandLine;

namespace GptOss.Cli.Commands;

/// <summary>`gptoss bench ...`</summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var command = new Command("bench", "Measure load, prefill and decode speed against the memory-bandwidth limit.");
        return command;
    }
}
