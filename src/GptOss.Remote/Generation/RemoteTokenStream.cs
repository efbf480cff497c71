using System.Diagnostics;
using System.Runtime.CompilerServices;
using GptOss.Generation;
using GptOss.Harmony;
using GptOss.Remote.Http;

namespace GptOss.Remote.Generation;

/// <summary>
/// The <see cref="ITokenGenerator"/> contract over any engine's chunks, the same for every engine: ids checked against
/// the vocabulary, the answer ended on our side at <c>&lt;|return|&gt;</c>, <c>&lt;|call|&gt;</c>, the caller's stop ids
/// and <see cref="GenerationOptions.MaxNewTokens"/> whatever the server does, the finish reason and final counters on
/// the last token, and every failure turned into one <see cref="RemoteBackendException"/> line.
/// </summary>
internal static class RemoteTokenStream
{
    private enum Step { Chunk, End, Cancelled }

    /// <summary>
    /// Streams the answer. Each token is held until the next id arrives (or the answer ends), so the last one can carry
    /// the finish reason and the server's final counters. Cancellation marks the held token
    /// <see cref="FinishReason.Cancelled"/> (or throws <see cref="OperationCanceledException"/> before the first id);
    /// ending the enumeration early closes the connection.
    /// </summary>
    public static async IAsyncEnumerable<GeneratedToken> RunAsync(
        RemoteEndpoint endpoint, ServedModel served, RemoteAnswer answer,
        IReadOnlyList<int> prompt, GenerationOptions options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var model = await served.GetAsync(cancellationToken).ConfigureAwait(false);
        int[] stops = [.. new[] { HarmonyTokens.Return, HarmonyTokens.Call }.Concat(options.StopTokens.Order()).Distinct()];
        using var timeout = endpoint.StartTimeout(cancellationToken);
        var clock = Stopwatch.StartNew();
        TimeSpan? firstId = null;
        int generated = 0, cached = 0;
        int? held = null;
        FinishReason? ours = null, theirs = null;

        GeneratedToken Token(int id, int count, FinishReason? finish)
        {
            var prefill = firstId ?? clock.Elapsed;
            return new(id, new GenerationStats(prompt.Count, cached, count, prefill, clock.Elapsed - prefill, finish));
        }

        await using (var chunks = answer(prompt, options, stops, model, timeout.Token).GetAsyncEnumerator(timeout.Token))
        {
            while (true)
            {
                var step = await NextAsync(chunks, endpoint, cancellationToken, generated).ConfigureAwait(false);
                if (step == Step.Cancelled)
                {
                    if (held is not { } last) throw new OperationCanceledException(cancellationToken);
                    yield return Token(last, generated, FinishReason.Cancelled);
                    yield break;
                }
                if (step == Step.End) break;

                var chunk = chunks.Current;
                if (chunk.CachedPromptTokens is { } reused) cached = Math.Clamp(reused, 0, prompt.Count);
                // The server went on past our end (it did not know a stop id): stop reading; disposing closes the connection.
                if (ours is not null && chunk.Ids.Count > 0) break;
                foreach (var id in chunk.Ids)
                {
                    if ((uint)id >= (uint)model.VocabularySize)
                        throw endpoint.Error($"the answer holds token id {id}, outside the vocabulary of {model.VocabularySize} ids");
                    firstId ??= clock.Elapsed;
                    if (held is { } previous)
                    {
                        var cancelled = cancellationToken.IsCancellationRequested;
                        yield return Token(previous, generated, cancelled ? FinishReason.Cancelled : null);
                        if (cancelled) yield break;
                    }
                    held = id;
                    generated++;
                    ours = Array.IndexOf(stops, id) >= 0 ? FinishReason.Stop
                        : generated >= options.MaxNewTokens ? FinishReason.Length
                        : null;
                    if (ours is not null) break;
                }
                theirs = chunk.Finish ?? theirs;
            }
        }

        if (held is not { } final)
            throw theirs is null
                ? endpoint.Error("the answer ended before any token id arrived (connection closed?)")
                : endpoint.MissingTokenIds();
        var finish = ours ?? theirs
            ?? throw endpoint.Error($"the answer ended after {generated} token ids without a finish reason (connection closed?)");
        yield return Token(final, generated, finish);
    }

    private static async ValueTask<Step> NextAsync(
        IAsyncEnumerator<RemoteChunk> chunks, RemoteEndpoint endpoint, CancellationToken caller, int received)
    {
        try
        {
            return await chunks.MoveNextAsync().ConfigureAwait(false) ? Step.Chunk : Step.End;
        }
        catch (OperationCanceledException) when (caller.IsCancellationRequested)
        {
            return Step.Cancelled;
        }
        catch (OperationCanceledException)
        {
            throw endpoint.TimedOut();
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            throw endpoint.Error(received == 0
                ? $"the connection failed before the answer ({e.Message})"
                : $"the connection closed after {received} token ids, before the answer finished ({e.Message})", e);
        }
    }
}
