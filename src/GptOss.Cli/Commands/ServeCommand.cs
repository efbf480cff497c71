using System.CommandLine;

namespace GptOss.Cli.Commands;

/// <summary>`gptoss serve ...`</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var command = new Command("serve", "Serve an OpenAI-compatible HTTP API (/v1/chat/completions, /v1/models).");
        return command;
    }
}
