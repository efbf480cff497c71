using System.CommandLine;
using GptOss.Agents;
using GptOss.Cli.Hosting;
using GptOss.Mcp;
using GptOss.Tools;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ModelContextProtocol.Server;

namespace GptOss.Cli.Commands;

/// <summary>`gptoss mcp serve [--tools python,javascript,browser] [--urls URL]`: the sandboxed tools as an MCP server.</summary>
internal static class McpCommand
{
    private static readonly string[] ToolNames = ["python", "javascript", "browser"];

    /// <summary>Where a streamable HTTP server answers, under each address of --urls.</summary>
    public const string HttpPath = "/mcp";

    public static Command Create()
    {
        var command = new Command("mcp", "Model Context Protocol: gpt-oss's tools for any MCP host.");
        command.Subcommands.Add(CreateServe());
        return command;
    }

    private static Command CreateServe()
    {
        var tools = new Option<string>("--tools")
        {
            Description = "Tools to serve, separated by ',': python, javascript, browser (default: all that run here).",
        };
        var urls = new Option<string?>("--urls")
        {
            Description = $"Serve streamable HTTP at {HttpPath} on these addresses (separated by ';') instead of stdio.",
        };
        var command = new Command("serve",
            "Serve the sandboxed tools (Tools section of the settings) as an MCP server over stdio, or streamable HTTP with --urls.");
        command.Options.Add(tools);
        command.Options.Add(urls);
        command.Options.Add(HostFlags.Config);
        command.SetAction((r, ct) => CommandGuard.Run(r, async () =>
        {
            var requested = ParseTools(r.GetValue(tools));
            var workspace = AgentWorkspace.Discover(r.GetValue(HostFlags.Config));
            using var factory = new ToolExecutorFactory(workspace.ToolsOptions());
            await using var server = new HarmonyToolsMcpServer(factory, requested ?? ToolNames.ToHashSet());
            var unavailable = await server.UnavailableAsync();
            if (requested is not null && unavailable.Count > 0)
                throw new InvalidOperationException(string.Join("; ", unavailable.Select(u => $"--tools {u.Key}: {u.Value}")));
            var stderr = r.InvocationConfiguration.Error;
            foreach (var (tool, why) in unavailable) await stderr.WriteLineAsync($"gptoss mcp serve: {tool} left out: {why}");

            if (r.GetValue(urls) is { } addresses) await ServeHttpAsync(server, addresses.Split(';', StringSplitOptions.RemoveEmptyEntries), stderr, ct);
            else await ServeStdioAsync(server, ct);
            return 0;
        }));
        return command;
    }

    /// <summary>The tools of --tools, or null when it is not given; an unknown name is an error naming the known ones.</summary>
    private static HashSet<string>? ParseTools(string? list)
    {
        if (list is null) return null;
        var names = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);
        if (names.Count == 0) throw new ArgumentException($"--tools names no tool: give some of {string.Join(", ", ToolNames)}");
        foreach (var name in names.Where(n => !ToolNames.Contains(n)))
            throw new ArgumentException($"--tools: unknown tool '{name}': expected {string.Join(", ", ToolNames)}");
        return names;
    }

    private static McpServerOptions Options(HarmonyToolsMcpServer server)
    {
        var options = new McpServerOptions { ServerInfo = new() { Name = "gptoss", Version = typeof(McpCommand).Assembly.GetName().Version?.ToString(3) ?? "0" } };
        server.Configure(options);
        return options;
    }

    // Stdout is the protocol's channel: nothing else may be written to it.
    private static async Task ServeStdioAsync(HarmonyToolsMcpServer server, CancellationToken cancellationToken)
    {
        await using var session = McpServer.Create(new StdioServerTransport("gptoss"), Options(server));
        try
        {
            await session.RunAsync(cancellationToken);
        }
        finally
        {
            await server.EndSessionAsync(session);
        }
    }

    private static async Task ServeHttpAsync(HarmonyToolsMcpServer server, string[] urls, TextWriter stderr, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.UseUrls(urls);
        // The SDK marks its session hook experimental; it is the one place a session's end is seen, where its python worker must go.
#pragma warning disable MCPEXP002
        builder.Services.AddMcpServer(server.Configure).WithHttpTransport(http => http.RunSessionHandler = async (_, session, token) =>
        {
            try
            {
                await session.RunAsync(token);
            }
            finally
            {
                await server.EndSessionAsync(session);
            }
        });
#pragma warning restore MCPEXP002
        await using var app = builder.Build();
        app.MapMcp(HttpPath);
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch (IOException e)
        {
            throw new IOException($"cannot listen: {e.Message}", e);
        }
        await stderr.WriteLineAsync($"gptoss mcp serve: MCP over streamable HTTP at {string.Join(", ", app.Urls.Select(u => u.TrimEnd('/') + HttpPath))} (Ctrl+C to stop)");
        await app.WaitForShutdownAsync(cancellationToken);
    }
}
