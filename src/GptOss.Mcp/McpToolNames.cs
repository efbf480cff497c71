using System.Text;

namespace GptOss.Mcp;

/// <summary>How an MCP tool is named to the model: <c>functions.{server}_{tool}</c>, an identifier the model can write.</summary>
internal static class McpToolNames
{
    /// <summary>The harmony namespace MCP tools share with the developer's other functions.</summary>
    public const string Namespace = "functions";

    /// <summary>
    /// <c>{server}_{tool}</c>, with characters other than letters, digits, '_' and '-' turned into '_' (a '.' would split
    /// the recipient); the way back is a lookup among the offered tools, never a split.
    /// </summary>
    public static string FunctionName(string server, string tool)
    {
        var name = new StringBuilder(server.Length + 1 + tool.Length);
        foreach (var c in $"{server}_{tool}") name.Append(char.IsAsciiLetterOrDigit(c) || c is '_' or '-' ? c : '_');
        return name.ToString();
    }
}
