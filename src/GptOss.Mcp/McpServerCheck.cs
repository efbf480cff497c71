namespace GptOss.Mcp;

/// <summary>
/// What can be checked about an MCP server without starting it: that its command exists (a file, or a name on the
/// PATH the program will get) and its working folder too, or that its URL answers HTTP at all (any status will do:
/// a server may refuse a bare GET).
/// </summary>
public static class McpServerCheck
{
    /// <summary>Why the server cannot be reached, in one line, or null when it looks reachable.</summary>
    public static async Task<string?> WhyUnreachableAsync(McpServerDefinition server, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        if (server.Url is { } url) return await WhyUrlUnreachableAsync(url, server.Headers, timeout, cancellationToken).ConfigureAwait(false);
        if (server.WorkingDirectory is { } cwd && !Directory.Exists(cwd)) return $"working folder '{cwd}' not found";
        return FindCommand(server) is null ? $"command '{server.Command}' not found{(IsPath(server.Command!) ? "" : " on PATH")}" : null;
    }

    /// <summary>The file the command runs, or null when there is none.</summary>
    internal static string? FindCommand(McpServerDefinition server)
    {
        var command = server.Command!;
        if (IsPath(command))
        {
            var path = Path.GetFullPath(command, server.WorkingDirectory ?? Directory.GetCurrentDirectory());
            return IsExecutableFile(path) ? path : null;
        }
        // The program is looked up on the host's PATH unless the server sets its own.
        var searchPath = server.Environment.TryGetValue("PATH", out var own) ? own : Environment.GetEnvironmentVariable("PATH") ?? "";
        return searchPath.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, command))
            .FirstOrDefault(IsExecutableFile);
    }

    private static bool IsPath(string command) => command.Contains('/') || command.Contains(Path.DirectorySeparatorChar);

    private static bool IsExecutableFile(string path) =>
        File.Exists(path) && (OperatingSystem.IsWindows()
            || (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0);

    private static async Task<string?> WhyUrlUnreachableAsync(
        Uri url, IReadOnlyDictionary<string, string> headers, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = timeout };
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        foreach (var (name, value) in headers) request.Headers.TryAddWithoutValidation(name, value);
        try
        {
            // Headers only: a streamable HTTP server may answer a GET with an event stream that never ends.
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            return null;
        }
        catch (HttpRequestException e)
        {
            return $"URL {url} unreachable: {e.Message}";
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return $"URL {url} unreachable: no answer within {timeout.TotalSeconds:0.#} seconds";
        }
    }
}
