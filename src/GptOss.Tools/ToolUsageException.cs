namespace GptOss.Tools;

/// <summary>The model called a tool wrongly (bad arguments, unknown function); the message is shown to it.</summary>
public sealed class ToolUsageException(string message) : Exception(message);
