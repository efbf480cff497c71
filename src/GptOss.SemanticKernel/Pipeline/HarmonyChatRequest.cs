using GptOss.Engine;
using GptOss.Harmony;

namespace GptOss.SemanticKernel;

/// <summary>
/// What to generate from: the whole harmony conversation (system, developer, then the turns, tool results
/// included) and the sampling settings. The pipeline adds harmony's assistant stop tokens itself.
/// </summary>
public sealed record HarmonyChatRequest(IReadOnlyList<Message> Messages)
{
    public GenerationOptions Generation { get; init; } = new();

    /// <summary>Texts that end the answer where they first appear (the stop text itself is not returned).</summary>
    public IReadOnlyList<string> StopSequences { get; init; } = [];
}
