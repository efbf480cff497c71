namespace GptOss.Harmony;

/// <summary>Options for rendering one message.</summary>
public sealed record RenderOptions
{
    /// <summary>Some developer message of the conversation defines a non-empty <c>functions</c> namespace: the
    /// system message then says that calls to these tools go to the commentary channel.</summary>
    public bool ConversationHasFunctionTools { get; init; }
}

/// <summary>Options for rendering a conversation.</summary>
public sealed record RenderConversationConfig
{
    /// <summary>When the last assistant message is on channel <c>final</c>, drop every <c>analysis</c> message that
    /// comes before the first <c>final</c> one (openai/harmony's rule; the Python binding's default).</summary>
    public bool AutoDropAnalysis { get; init; } = true;
}

/// <summary>A message cannot be rendered (e.g. a tool message without a name, system content in a user message).</summary>
public sealed class HarmonyRenderException(string message) : Exception(message);
