using System.CommandLine;

namespace GptOss.Cli.Commands;

/// <summary>`gptoss run`, `gptoss chat`, `gptoss agents ...`</summary>
internal static class AgentCommands
{
    public static Command CreateRun() => new("run", "Run an agent on a task until it answers.");

    public static Command CreateChat() => new("chat", "Chat with an agent interactively.");

    public static Command CreateAgents() => new("agents", "List and validate the configured agents.");
}
