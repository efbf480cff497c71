namespace GptOss.Harmony;

/// <summary>Malformed harmony token sequence; <see cref="Position"/> is the index of the offending token
/// (the number of tokens fed when the end of the stream was the problem).</summary>
public sealed class HarmonyParseException(string message, int position)
    : Exception($"{message} (at token {position})")
{
    public int Position { get; } = position;

    /// <summary>The reason without the position suffix.</summary>
    public string Reason { get; } = message;
}

/// <summary>Where a <see cref="StreamableParser"/> is: waiting for <c>&lt;|start|&gt;</c>, reading a header, or reading content.</summary>
public enum StreamState
{
    ExpectStart,
    Header,
    Content,
}
