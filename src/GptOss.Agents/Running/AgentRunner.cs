using GptOss.Generation;
using System.Runtime.CompilerServices;
using GptOss.Agents.Plugins;
using GptOss.Mcp;
using GptOss.Tools;
using Microsoft.SemanticKernel;

namespace GptOss.Agents;

/// <summary>
/// Runs configured agents on a shared <see cref="ITokenGenerator"/>: each run (or chat session) gets its own
/// kernel with fresh instances of the agent's plugins, its own <see cref="ToolExecutor"/> (python state,
/// browser pages) and its own MCP servers (started on the first message), all disposed when it ends.
/// </summary>
/// <param name="toolsOptions">The limits of MCP tool calls (time, output, resilience); null: the defaults.</param>
public sealed class AgentRunner(
    ITokenGenerator generator,
    AgentPluginCatalog plugins,
    IToolExecutorFactory? tools = null,
    TimeProvider? time = null,
    ToolsOptions? toolsOptions = null)
{
    /// <summary>Runs <paramref name="task"/> to a final answer or the step limit; the last event is <see cref="AgentEvent.RunCompleted"/>.</summary>
    public async IAsyncEnumerable<AgentEvent> RunAsync(
        AgentDefinition agent, string task, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var session = CreateSession(agent);
        await foreach (var e in session.SendAsync(task, cancellationToken).ConfigureAwait(false))
        {
            yield return e;
        }
    }

    /// <summary>A conversation that keeps its history between <see cref="AgentSession.SendAsync"/> calls (chat).</summary>
    public AgentSession CreateSession(AgentDefinition agent)
    {
        // tool_choice none: no tool is offered, so the model cannot call one.
        var offersTools = agent.ToolChoice.Mode != AgentToolChoiceMode.None;
        var builtins = offersTools ? agent.BuiltinTools.ToHashSet(StringComparer.Ordinal) : [];
        var executor = builtins.Count > 0 ? tools?.Create() : null;
        var mcp = offersTools && agent.McpServers.Count > 0 ? new McpToolSet(agent.McpServers, toolsOptions ?? new ToolsOptions()) : null;
        var router = new AgentToolRouter(offersTools ? CreateKernel(agent) : new Kernel(), executor, builtins, mcp);
        return new AgentSession(agent, generator, router, time ?? TimeProvider.System);
    }

    /// <summary>A kernel holding the agent's plugins: whole plugins, or only the functions it names.</summary>
    private Kernel CreateKernel(AgentDefinition agent)
    {
        var kernel = new Kernel();
        foreach (var group in agent.FunctionTools.GroupBy(t => t.Plugin, StringComparer.Ordinal))
        {
            var plugin = plugins.Create(group.Key);
            if (group.Any(t => t.Function is null))
            {
                kernel.Plugins.Add(plugin);
                continue;
            }
            var names = group.Select(t => t.Function!).ToHashSet(StringComparer.Ordinal);
            kernel.Plugins.Add(KernelPluginFactory.CreateFromFunctions(plugin.Name, plugin.Where(f => names.Contains(f.Name))));
        }
        return kernel;
    }
}
