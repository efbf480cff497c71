using System.Runtime.CompilerServices;
using System.Text.Json;
using GptOss.Mcp;
using GptOss.Tools;
using Microsoft.Extensions.AI;
using HarmonyMessage = GptOss.Harmony.Message;

namespace GptOss.SemanticKernel;

/// <summary>
/// <see cref="HostedMcpServerTool"/>s run inside a <see cref="GptOssChatClient"/> call: their servers (streamable HTTP
/// at <see cref="HostedMcpServerTool.ServerAddress"/>, with its headers, only its allowed tools) start with the call,
/// their tools are offered as <c>functions.{server}_{tool}</c>, and every call the model makes to them is executed
/// here and fed back until it answers or calls one of the caller's own functions; the caller sees each as
/// <see cref="McpServerToolCallContent"/> and <see cref="McpServerToolResultContent"/>. The servers stop with the call.
/// </summary>
internal static class HostedMcpTools
{
    /// <summary>Model turns one call may take to answer after calling hosted tools.</summary>
    private const int MaxRounds = 16;

    public static bool AreIn(ChatOptions? options) => options?.Tools?.OfType<HostedMcpServerTool>().Any() == true;

    public static async Task<ChatResponse> GetResponseAsync(
        Func<IEnumerable<ChatMessage>, ChatOptions, CancellationToken, Task<ChatResponse>> model,
        IEnumerable<ChatMessage> messages, ChatOptions options, CancellationToken cancellationToken)
    {
        await using var servers = await StartAsync(options, cancellationToken).ConfigureAwait(false);
        var offered = Offer(options, servers);
        var history = messages.ToList();
        var shown = new List<AIContent>();
        for (var round = 1; ; round++)
        {
            var response = await model(history, offered, cancellationToken).ConfigureAwait(false);
            var calls = HostedCalls(response.Messages.SelectMany(m => m.Contents), servers);
            if (calls.Count == 0 || round == MaxRounds)
            {
                response.Messages[0].Contents = [.. shown, .. response.Messages[0].Contents];
                return response;
            }
            history.AddRange(response.Messages);
            var results = await ExecuteAsync(calls, servers, cancellationToken).ConfigureAwait(false);
            history.Add(new ChatMessage(ChatRole.Tool, [.. results.Select(r => r.Result)]));
            shown.AddRange(response.Messages.SelectMany(m => m.Contents).Select(c => Shown(c, servers)));
            shown.AddRange(results.Select(r => r.Shown));
        }
    }

    public static async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        Func<IEnumerable<ChatMessage>, ChatOptions, CancellationToken, IAsyncEnumerable<ChatResponseUpdate>> model,
        IEnumerable<ChatMessage> messages, ChatOptions options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var servers = await StartAsync(options, cancellationToken).ConfigureAwait(false);
        var offered = Offer(options, servers);
        var history = messages.ToList();
        for (var round = 1; ; round++)
        {
            var updates = new List<ChatResponseUpdate>();
            await foreach (var update in model(history, offered, cancellationToken).ConfigureAwait(false))
            {
                updates.Add(update);
                var shown = update.Clone();
                shown.Contents = [.. update.Contents.Select(c => Shown(c, servers))];
                yield return shown;
            }
            var calls = HostedCalls(updates.SelectMany(u => u.Contents), servers);
            if (calls.Count == 0 || round == MaxRounds) yield break;
            history.AddRange(updates.ToChatResponse().Messages);
            var results = await ExecuteAsync(calls, servers, cancellationToken).ConfigureAwait(false);
            history.Add(new ChatMessage(ChatRole.Tool, [.. results.Select(r => r.Result)]));
            yield return new ChatResponseUpdate(ChatRole.Tool, [.. results.Select(r => r.Shown)]) { ResponseId = updates.LastOrDefault()?.ResponseId };
        }
    }

    private static async Task<McpToolSet> StartAsync(ChatOptions options, CancellationToken cancellationToken)
    {
        var servers = new McpToolSet(options.Tools!.OfType<HostedMcpServerTool>().Select(Definition), new ToolsOptions());
        try
        {
            await servers.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await servers.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return servers;
    }

    private static McpServerDefinition Definition(HostedMcpServerTool tool)
    {
        if (tool.ApprovalMode is not (null or HostedMcpServerToolNeverRequireApprovalMode))
            throw new NotSupportedException($"HostedMcpServerTool '{tool.ServerName}': gpt-oss runs hosted MCP tools without asking; set ApprovalMode to NeverRequire");
        if (!Uri.TryCreate(tool.ServerAddress, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
            throw new ArgumentException($"HostedMcpServerTool '{tool.ServerName}': ServerAddress must be an http or https URL of a streamable HTTP MCP server, not '{tool.ServerAddress}'");
        return new McpServerDefinition
        {
            Name = tool.ServerName,
            Url = url,
            Headers = tool.Headers?.ToDictionary() ?? [],
            AllowedTools = tool.AllowedTools?.ToHashSet(StringComparer.Ordinal),
        };
    }

    /// <summary>The caller's options with the hosted servers replaced by their tools, as function declarations.</summary>
    private static ChatOptions Offer(ChatOptions options, McpToolSet servers)
    {
        var offered = options.Clone();
        offered.Tools =
        [
            .. options.Tools!.Where(t => t is not HostedMcpServerTool),
            .. servers.Functions.Select(f => AIFunctionFactory.CreateDeclaration(f.Name, f.Description, JsonSerializer.SerializeToElement(f.Parameters))),
        ];
        return offered;
    }

    private static List<FunctionCallContent> HostedCalls(IEnumerable<AIContent> contents, McpToolSet servers) =>
        [.. contents.OfType<FunctionCallContent>().Where(c => servers.Handles(c.Name))];

    /// <summary>What the caller sees of a content: a hosted call as an MCP call, anything else as it is.</summary>
    private static AIContent Shown(AIContent content, McpToolSet servers) =>
        content is FunctionCallContent call && servers.Handles(call.Name)
            ? new McpServerToolCallContent(call.CallId, servers.ToolName(call.Name), servers.ServerName(call.Name)) { Arguments = call.Arguments?.ToDictionary() }
            : content;

    private static async Task<List<(FunctionResultContent Result, McpServerToolResultContent Shown)>> ExecuteAsync(
        List<FunctionCallContent> calls, McpToolSet servers, CancellationToken cancellationToken)
    {
        var results = new List<(FunctionResultContent, McpServerToolResultContent)>();
        foreach (var call in calls)
        {
            var replies = await servers.ExecuteAsync((HarmonyMessage)call.RawRepresentation!, call.Name, cancellationToken).ConfigureAwait(false);
            var text = string.Join("\n", replies.Select(r => r.Text));
            results.Add((new FunctionResultContent(call.CallId, text), new McpServerToolResultContent(call.CallId) { Outputs = [new TextContent(text)] }));
        }
        return results;
    }
}
