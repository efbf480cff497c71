using GptOss.Generation;
using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace GptOss.Agents;

/// <summary>
/// A decorator that remembers the tokens and counters of the last call and how long the caller waited on the
/// model. The runner appends exactly these tokens to its prompt (so step n+1's prompt extends step n's prompt and
/// output, and the KV cache prefix is reused) and subtracts the waiting time to get its own overhead.
/// One instance per run: not for concurrent calls.
/// </summary>
internal sealed class RecordingTokenGenerator(ITokenGenerator inner) : ITokenGenerator
{
    private readonly List<int> _tokens = [];

    public ModelDescriptor Model => inner.Model;

    /// <summary>The tokens the last call produced, stop token included.</summary>
    public IReadOnlyList<int> LastTokens => _tokens;

    /// <summary>The last call's counters (null before any token).</summary>
    public GenerationStats? LastStats { get; private set; }

    /// <summary>Wall time spent waiting for the model during the last call.</summary>
    public TimeSpan LastModelTime { get; private set; }

    public async IAsyncEnumerable<GeneratedToken> GenerateAsync(
        IReadOnlyList<int> prompt, GenerationOptions options, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        _tokens.Clear();
        LastStats = null;
        LastModelTime = TimeSpan.Zero;
        var waiting = new Stopwatch();
        await using var tokens = inner.GenerateAsync(prompt, options, cancellationToken).GetAsyncEnumerator(cancellationToken);
        while (true)
        {
            waiting.Start();
            var more = await tokens.MoveNextAsync().ConfigureAwait(false);
            waiting.Stop();
            LastModelTime = waiting.Elapsed;
            if (!more) yield break;
            _tokens.Add(tokens.Current.Id);
            LastStats = tokens.Current.Stats;
            yield return tokens.Current;
        }
    }
}
