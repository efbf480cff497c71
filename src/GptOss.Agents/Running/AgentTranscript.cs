using System.Text.Encodings.Web;
using System.Text.Json;

namespace GptOss.Agents;

/// <summary>The transcript of a run: one JSON object per <see cref="AgentEvent"/>, one per line.</summary>
public static class AgentTranscript
{
    public static JsonSerializerOptions JsonOptions { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        WriteIndented = false,
    };

    /// <summary>One event as a single line of JSON (no newline).</summary>
    public static string ToJsonLine(AgentEvent e) => JsonSerializer.Serialize(e, JsonOptions);

    /// <summary>Reads one transcript line back.</summary>
    public static AgentEvent FromJsonLine(string line) =>
        JsonSerializer.Deserialize<AgentEvent>(line, JsonOptions)
        ?? throw new JsonException("a transcript line must be a JSON object");

    /// <summary>Writes every event of <paramref name="events"/> as it happens and passes it on.</summary>
    public static async IAsyncEnumerable<AgentEvent> WriteTo(
        this IAsyncEnumerable<AgentEvent> events, TextWriter writer,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var e in events.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            await writer.WriteLineAsync(ToJsonLine(e).AsMemory(), cancellationToken).ConfigureAwait(false);
            yield return e;
        }
        await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
    }
}
