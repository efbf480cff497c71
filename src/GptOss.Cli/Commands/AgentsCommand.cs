using System.CommandLine;
using GptOss.Agents;
using GptOss.Agents.Plugins;
using GptOss.Cli.Hosting;
using GptOss.Mcp;

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
                if (a.McpServers.Count > 0) tools += $"; mcp: {string.Join(", ", a.McpServers.Select(s => s.Name))}";
                output.WriteLine($"{a.Name,-14} {a.Description ?? "(no description)"}");
                output.WriteLine($"{"",-14} tools: {tools}; reasoning {a.ReasoningEffort.ToString().ToLowerInvariant()}; max {a.MaxSteps} steps; output {a.Output.Kind.ToString().ToLowerInvariant()}; {a.Source}");
            }
            if (catalog.Agents.Count == 0) output.WriteLine("no agents configured");
            return 0;
        }));

        var validate = new Command("validate",
            "Check every agent definition, each error with its file and line, and that each MCP server's command exists or its URL answers.");
        HostFlags.AddSettings(validate);
        validate.SetAction((r, cancellationToken) => CommandGuard.Run(r, async () =>
        {
            var workspace = Workspace(r);
            var loader = workspace.LoadAgents(AgentPluginCatalog.Default);
            var errors = loader.Errors.Select(e => e.ToString()).ToList();
            if (errors.Count == 0) errors.AddRange(await McpServerProblems(loader.Definitions, cancellationToken));
            foreach (var error in errors) await r.InvocationConfiguration.Error.WriteLineAsync(error);
            var sources = string.Join(" and ", new[] { workspace.AgentsDirectory, workspace.SettingsFile }.OfType<string>());
            if (errors.Count > 0)
            {
                await r.InvocationConfiguration.Error.WriteLineAsync($"{errors.Count} error(s) in the agent configuration ({sources})");
                return 1;
            }
            await r.InvocationConfiguration.Output.WriteLineAsync($"{loader.Definitions.Count} agent(s) valid ({sources})");
            return 0;
        }));

        command.Subcommands.Add(list);
        command.Subcommands.Add(validate);
        return command;
    }

    /// <summary>How long validation waits for an MCP server's URL to answer.</summary>
    private static readonly TimeSpan McpUrlTimeout = TimeSpan.FromSeconds(10);

    /// <summary>One line per agent and MCP server that cannot be reached; a server several agents share is checked once.</summary>
    private static async Task<List<string>> McpServerProblems(IReadOnlyList<AgentDefinition> agents, CancellationToken cancellationToken)
    {
        var checks = agents.SelectMany(a => a.McpServers).Distinct()
            .ToDictionary(s => s, s => McpServerCheck.WhyUnreachableAsync(s, McpUrlTimeout, cancellationToken));
        await Task.WhenAll(checks.Values);
        return [.. agents.SelectMany(a => a.McpServers
            .Where(s => checks[s].Result is not null)
            .Select(s => $"{a.Source}: agent '{a.Name}': MCP server '{s.Name}': {checks[s].Result}"))];
    }

    private static AgentWorkspace Workspace(ParseResult r) =>
        AgentWorkspace.Discover(r.GetValue(HostFlags.Config), r.GetValue(HostFlags.Agents));

    private static string ToolName(AgentToolReference tool) => tool switch
    {
        BuiltinToolReference b => b.Name,
        _ => tool.ToString()!,
    };
}
