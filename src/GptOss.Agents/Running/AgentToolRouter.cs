using GptOss.Generation;
using System.Diagnostics;
using GptOss.Harmony;
using GptOss.Mcp;
using GptOss.SemanticKernel;
using GptOss.Tools;
using GptOss.Tools.Execution;
using Microsoft.SemanticKernel;

namespace GptOss.Agents;

/// <summary>
/// Routes an agent's tool calls by recipient: <c>functions.{server}_{tool}</c> to the agent's MCP servers, other
/// <c>functions.*</c> to its kernel functions, <c>browser.*</c>, <c>python</c>, <c>javascript</c> to the tools layer
/// (only those the agent lists). Anything else, and every failure, becomes a reply the model can read and react to;
/// only cancellation propagates.
/// </summary>
internal sealed class AgentToolRouter(Kernel kernel, ToolExecutor? executor, IReadOnlySet<string> builtins, McpToolSet? mcp = null) : IAsyncDisposable
{
    private readonly IReadOnlyList<ToolDescription> _kernelFunctions = KernelFunctionTools.ToNamespace(kernel).Tools;

    /// <summary>Starts the agent's MCP servers and lists their tools (nothing to do without any).</summary>
    public Task StartAsync(CancellationToken cancellationToken) => mcp?.StartAsync(cancellationToken) ?? Task.CompletedTask;

    /// <summary>
    /// The <c>functions</c> namespace: the agent's kernel functions, then its MCP servers' tools (once started);
    /// null when it has none.
    /// </summary>
    public ToolNamespaceConfig? Functions =>
        _kernelFunctions.Concat(mcp?.Functions ?? []).ToList() is { Count: > 0 } tools
            ? new ToolNamespaceConfig(KernelFunctionTools.Namespace, null, tools)
            : null;

    /// <summary>The built-in tool namespaces the agent may use and this machine can run.</summary>
    public IReadOnlyList<ToolNamespaceConfig> Builtins { get; } =
        executor?.Namespaces.Where(n => builtins.Contains(n.Name)).ToList() ?? [];

    /// <summary>Runs one call; returns the replies to append (role tool, to the assistant, on the call's channel).</summary>
    public async Task<IReadOnlyList<AgentToolReply>> ExecuteAsync(HarmonyToolCall call, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        if (call.Namespace == KernelFunctionTools.Namespace && call.Name is { } function && mcp?.Handles(function) == true)
        {
            var replies = await mcp.ExecuteAsync(call.Message, function, cancellationToken).ConfigureAwait(false);
            return [.. replies.Select(r => new AgentToolReply(r, null, clock.Elapsed))];
        }
        if (call.Namespace == KernelFunctionTools.Namespace && !IsBuiltinAlias(call))
        {
            var outcome = await KernelFunctionTools.InvokeAsync(kernel, call, cancellationToken).ConfigureAwait(false);
            return [new AgentToolReply(outcome.Reply, outcome.Failed, clock.Elapsed)];
        }
        // gpt-oss sometimes addresses built-in tools as functions; the tools layer owns those aliases (as the reference does).
        var tool = call.Namespace == KernelFunctionTools.Namespace ? ToolRouting.BuiltinToolFor(call.Name!)! : call.Namespace;
        if (!builtins.Contains(tool) || executor is null)
        {
            return [new AgentToolReply(call.Reply($"Error: there is no tool named {call.Recipient}. {Available()}"), true, clock.Elapsed)];
        }
        var results = await executor.ExecuteAsync(call.Message, cancellationToken).ConfigureAwait(false);
        return results.Select(r => new AgentToolReply(r, null, clock.Elapsed)).ToList();
    }

    private bool IsBuiltinAlias(HarmonyToolCall call) =>
        call.Name is { } name
        && KernelFunctionTools.Find(kernel, name) is null
        && ToolRouting.BuiltinToolFor(name) is { } tool
        && builtins.Contains(tool);

    private string Available()
    {
        var names = (Functions?.Tools.Select(t => $"functions.{t.Name}") ?? [])
            .Concat(Builtins.SelectMany(n => n.Tools.Count == 0 ? [n.Name] : n.Tools.Select(t => $"{n.Name}.{t.Name}")))
            .ToList();
        return names.Count == 0 ? "This agent has no tools." : $"Available tools: {string.Join(", ", names)}.";
    }

    public async ValueTask DisposeAsync()
    {
        if (executor is not null) await executor.DisposeAsync().ConfigureAwait(false);
        if (mcp is not null) await mcp.DisposeAsync().ConfigureAwait(false);
    }
}

/// <summary>A tool's reply message, whether the call failed (null: the tool does not say) and how long it took.</summary>
internal sealed record AgentToolReply(Message Message, bool? Failed, TimeSpan Duration);
