using System.CommandLine;
using GptOss.Cli.Commands;

var root = new RootCommand("gptoss: run OpenAI's gpt-oss models in-process, with harmony, tools and agents.");
root.Subcommands.Add(HarmonyCommands.Create());
root.Subcommands.Add(ModelCommands.Create());
root.Subcommands.Add(BenchCommand.Create());
root.Subcommands.Add(ToolsCommands.Create());
root.Subcommands.Add(RunCommand.Create());
root.Subcommands.Add(ChatCommand.Create());
root.Subcommands.Add(AgentsCommand.Create());
root.Subcommands.Add(ServeCommand.Create());
root.Subcommands.Add(McpCommand.Create());
root.Subcommands.Add(PsCommand.Create());
root.Subcommands.Add(PullCommand.Create());
root.Subcommands.Add(ModelStoreCommands.List());
root.Subcommands.Add(ModelStoreCommands.Show());
root.Subcommands.Add(ModelStoreCommands.Remove());
var parsed = root.Parse(args);
// chat handles Ctrl+C itself: it stops the answer being written, not the chat (between answers it ends the process).
var invocation = new InvocationConfiguration();
if (parsed.CommandResult.Command.Name == "chat") invocation.ProcessTerminationTimeout = null;
return await parsed.InvokeAsync(invocation);
