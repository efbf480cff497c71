using System.CommandLine;
using GptOss.Agents;
using GptOss.Cli.Hosting;
using GptOss.Cli.Views;

namespace GptOss.Cli.Commands;

/// <summary>`gptoss chat [--agent NAME]`: an interactive conversation with an agent.</summary>
internal static class ChatCommand
{
    /// <summary>Where chat reads the user's lines; tests swap it.</summary>
    internal static TextReader Input { get; set; } = Console.In;

    public static Command Create()
    {
        var agent = new Option<string?>("--agent") { Description = "Name of the agent to chat with (default: 'assistant' if configured)" };
        var command = new Command("chat", "Chat with an agent interactively (one message per line; empty line or /exit ends).");
        command.Options.Add(agent);
        HostFlags.AddModel(command);
        ViewFlags.AddTo(command);
        command.SetAction((r, ct) => CommandGuard.Run(r, async () =>
        {
            using var host = CliHost.Open(r);
            var catalog = host.LoadAgents();
            var definition = r.GetValue(agent) is { } name ? catalog.Get(name) : DefaultAgent(catalog);
            await using var session = host.CreateRunner().CreateSession(definition);
            var output = r.InvocationConfiguration.Output;
            var view = new TerminalView(output, r.InvocationConfiguration.Error, ViewFlags.Read(r, host.LoadTime));
            await output.WriteLineAsync($"Chatting with '{definition.Name}' on {host.Generator.Model.Name}. Empty line or /exit to quit.");
            while (true)
            {
                await output.WriteAsync("> ");
                await output.FlushAsync(ct);
                var line = await Input.ReadLineAsync(ct);
                if (line is null || line.Trim() is "" or "/exit") return 0;
                await AgentDrive.Show(session.SendAsync(line, ct), view, ct);
            }
        }));
        return command;
    }

    private static AgentDefinition DefaultAgent(AgentCatalog catalog) =>
        catalog.TryGet("assistant", out var assistant)
            ? assistant
            : new AgentDefinition { Name = "assistant", Instructions = "You are a helpful assistant." };
}
