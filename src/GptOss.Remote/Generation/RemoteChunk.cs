using GptOss.Generation;

namespace GptOss.Remote.Generation;

/// <summary>
/// One piece of an engine's answer, in wire order: the ids it carries (possibly none), the engine's finish reason
/// once it gave one, and the prompt tokens it reused from its cache, once it said.
/// </summary>
internal sealed record RemoteChunk(IReadOnlyList<int> Ids, FinishReason? Finish = null, int? CachedPromptTokens = null);

/// <summary>An engine's request for one generation: streams its answer as chunks.</summary>
/// <param name="prompt">The prompt ids.</param>
/// <param name="options">The caller's sampling settings.</param>
/// <param name="stopTokens">Every id that ends the answer: harmony's <c>&lt;|return|&gt;</c> and <c>&lt;|call|&gt;</c>, then the caller's.</param>
/// <param name="model">The served model, as checked.</param>
/// <param name="cancellationToken">Fires on the caller's cancellation or the timeout.</param>
internal delegate IAsyncEnumerable<RemoteChunk> RemoteAnswer(
    IReadOnlyList<int> prompt, GenerationOptions options, IReadOnlyList<int> stopTokens, ModelDescriptor model, CancellationToken cancellationToken);
