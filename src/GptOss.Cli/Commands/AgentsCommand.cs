using System.CommandLine;
using GptOss.Agents;
using GptOss.Agents.Plugins;
using GptOss.Cli.Hosting;

namespace GptOss.Cli.Commands;

/// <summary>`gptoss agents list|validate`</summary>
internal static class AgentsCommand
{
    public static Command Create()
    {
        var command = new Command("agents", "List and validate the configured agents.");

        var list = new Command("list", "List the configured agents, their tools and where they are defined.");
        HostFlags.AddSettings(list);
        list.SetAction(r => CommandGuard.Run(r, () =>
        {
            var catalog = Workspace(r).LoadAgents(AgentPluginCatalog.Default).BuildCatalog();
            var output = r.InvocationConfiguration.Output;
            foreach (var a in catalog.Agents)
            {
                var tools = a.Tools.Count == 0 ? "no tools" : string.Join(", ", a.Tools.Select(ToolName));
                output.WriteLine($"{a.Name,-14} {a.Description ?? "(no description)"}");
                output.WriteLine($"{"",-14} tools: {tools}; reasoning {a.ReasoningEffort.ToString().ToLowerInvariant()}; max {a.MaxSteps} steps; output {a.Output.Kind.ToString().ToLowerInvariant()}; {a.Source}");
            }
            if (catalog.Agents.Count == 0) output.WriteLine("no agents configured");
            return 0;
        }));

        var validate = new Command("validate", "Check every agent definition; report each error with its file and line.");
        HostFlags.AddSettings(validate);
        validate.SetAction(r => CommandGuard.Run(r, () =>
        {
            var workspace = Workspace(r);
            var loader = workspace.LoadAgents(AgentPluginCatalog.Default);
            foreach (var error in loader.Errors) r.InvocationConfiguration.Error.WriteLine(error);
            var sources = string.Join(" and ", new[] { workspace.AgentsDirectory, workspace.SettingsFile }.OfType<string>());
            if (loader.Errors.Count > 0)
            {
                r.InvocationConfiguration.Error.WriteLine($"{loader.Errors.Count} error(s) in the agent configuration ({sources})");
                return 1;
            }
            r.InvocationConfiguration.Output.WriteLine($"{loader.Definitions.Count} agent(s) valid ({sources})");
            return 0;
        }));

        command.Subcommands.Add(list);
        command.Subcommands.Add(validate);
        return command;
    }

    private static AgentWorkspace Workspace(ParseResult r) =>
        AgentWorkspace.Discover(r.GetValue(HostFlags.Config), r.GetValue(HostFlags.Agents));

    private static string ToolName(AgentToolReference tool) => tool switch
    {
        BuiltinToolReference b => b.Name,
        _ => tool.ToString()!,
    };
}
