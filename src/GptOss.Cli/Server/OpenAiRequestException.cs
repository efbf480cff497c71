namespace GptOss.Cli.Server;

/// <summary>A request the OpenAI API would reject: answered 400 with <c>{"error": {"message", "type", "param"}}</c>.</summary>
internal sealed class OpenAiRequestException(string message, string? param = null) : Exception(message)
{
    public string? Param { get; } = param;
}
