namespace GptOss.Mcp;

/// <summary>An MCP server that could not be started or listed: the message names the server and the cause.</summary>
public sealed class McpServerException(string message, Exception? inner = null) : Exception(message, inner);
