using System.Diagnostics;
using System.Runtime.CompilerServices;
using GptOss.Constraints;
using GptOss.Harmony;

namespace GptOss.Generation;

/// <summary>
/// A token source that replays scripted completions instead of running a model: the test and demo seam
/// behind <see cref="ITokenGenerator"/>. Each <see cref="GenerateAsync"/> call takes the next script (or asks
/// a responder function for one), honours stop tokens, <see cref="GenerationOptions.MaxNewTokens"/> and
/// cancellation exactly like the engine, and reports <see cref="GenerationStats.CachedPromptTokens"/> as the
/// common prefix with the previous prompt, the way the engine's KV cache reuse does. Every prompt is
/// recorded in <see cref="Prompts"/> so tests can assert what the model was shown. Under a
/// <see cref="GenerationOptions.Constraint"/> each scripted token is taken if the constraint allows it, else the lowest
/// allowed id, and the call goes on past the script's end the same way until a stop token or the token limit.
/// </summary>
public sealed class ScriptedTokenGenerator : ITokenGenerator
{
    /// <summary>The descriptor used when none is given: gpt-oss's vocabulary and context length.</summary>
    public static ModelDescriptor DefaultModel { get; } = new("gpt-oss-scripted", 201_088, 131_072);

    private readonly Func<IReadOnlyList<int>, int, IReadOnlyList<int>> _respond;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly List<IReadOnlyList<int>> _prompts = [];
    private readonly List<GenerationOptions> _options = [];
    private IReadOnlyList<int> _previousPrompt = [];

    /// <summary>Replays <paramref name="scripts"/> in order, one per call; a call past the last script fails.</summary>
    public ScriptedTokenGenerator(IEnumerable<IReadOnlyList<int>> scripts, ModelDescriptor? model = null)
    {
        var queue = scripts.ToArray();
        _respond = (_, call) => call < queue.Length
            ? queue[call]
            : throw new InvalidOperationException(
                $"Scripted generator exhausted: call {call + 1} but only {queue.Length} script(s) were given.");
        Model = model ?? DefaultModel;
    }

    /// <summary>Answers each call with <paramref name="respond"/>(prompt, zero-based call index).</summary>
    public ScriptedTokenGenerator(Func<IReadOnlyList<int>, int, IReadOnlyList<int>> respond, ModelDescriptor? model = null)
    {
        _respond = respond;
        Model = model ?? DefaultModel;
    }

    /// <summary>
    /// Replays harmony texts, special tokens included (<c>&lt;|channel|&gt;analysis&lt;|message|&gt;...&lt;|end|&gt;</c>):
    /// each is encoded with <see cref="HarmonyTokenizer.Encode"/> (special tokens allowed). A completion starts
    /// right after the prompt's <c>&lt;|start|&gt;assistant</c>, so a script usually begins with <c>&lt;|channel|&gt;</c>.
    /// </summary>
    public static ScriptedTokenGenerator FromHarmony(params string[] scripts) =>
        new(scripts.Select(Encode));

    /// <summary>Answers each call with the harmony text <paramref name="respond"/>(prompt text, call index) returns.</summary>
    public static ScriptedTokenGenerator FromHarmony(Func<string, int, string> respond) =>
        new((prompt, call) => Encode(respond(HarmonyTokenizer.Shared.Decode(prompt), call)));

    private static IReadOnlyList<int> Encode(string text) => HarmonyTokenizer.Shared.Encode(text, allowSpecial: true);

    public ModelDescriptor Model { get; }

    /// <summary>Every prompt received so far, in call order.</summary>
    public IReadOnlyList<IReadOnlyList<int>> Prompts
    {
        get { lock (_prompts) return _prompts.ToArray(); }
    }

    /// <summary>The options of every call so far, in call order.</summary>
    public IReadOnlyList<GenerationOptions> Options
    {
        get { lock (_prompts) return _options.ToArray(); }
    }

    /// <summary>Every prompt so far decoded as harmony text (special tokens spelled out).</summary>
    public IReadOnlyList<string> PromptTexts => Prompts.Select(p => HarmonyTokenizer.Shared.Decode(p)).ToArray();

    /// <summary>
    /// Streams the script's tokens, as the engine does: ends after a stop token (yielded, finish reason Stop), after
    /// <see cref="GenerationOptions.MaxNewTokens"/> (Length), at the script's end (Stop, like a model emitting
    /// end-of-sequence), or at the first token after cancellation was requested (Cancelled). Calls are serialized;
    /// a call cancelled while waiting for its turn throws <see cref="OperationCanceledException"/>.
    /// </summary>
    public async IAsyncEnumerable<GeneratedToken> GenerateAsync(
        IReadOnlyList<int> prompt,
        GenerationOptions options,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var prefill = Stopwatch.StartNew();
            var snapshot = prompt.ToArray();
            int call;
            lock (_prompts)
            {
                call = _prompts.Count;
                _prompts.Add(snapshot);
                _options.Add(options);
            }
            // Like the engine: at least the last prompt token is computed, for its logits.
            var cached = Math.Min(CommonPrefixLength(_previousPrompt, snapshot), Math.Max(0, snapshot.Length - 1));
            var script = _respond(snapshot, call);
            prefill.Stop();

            var decode = Stopwatch.StartNew();
            var generated = new List<int>(script.Count);
            // Under a constraint the script is a preference, not the whole answer: it runs on until a stop token or the limit.
            var length = options.Constraint is null ? script.Count : int.MaxValue;
            for (var i = 0; i < length; i++)
            {
                var id = options.Constraint is { } constraint
                    ? Constrained(constraint, i < script.Count ? script[i] : null, options.MaxNewTokens - generated.Count)
                    : script[i];
                generated.Add(id);
                // The engine's order: a stop token, then the token limit, then cancellation end the call.
                FinishReason? finish =
                    options.StopTokens.Contains(id) ? FinishReason.Stop
                    : generated.Count >= options.MaxNewTokens ? FinishReason.Length
                    : i == length - 1 ? FinishReason.Stop
                    : cancellationToken.IsCancellationRequested ? FinishReason.Cancelled
                    : null;
                if (finish is not null) RememberCache(snapshot, generated);
                yield return new GeneratedToken(id, new GenerationStats(
                    snapshot.Length, cached, generated.Count, prefill.Elapsed, decode.Elapsed, finish));
                if (finish is not null) yield break;
                await Task.Yield();
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The scripted token if the constraint allows it, else the lowest allowed id; reported back like the engine's sampler does.</summary>
    private static int Constrained(ITokenConstraint constraint, int? scripted, int remainingTokens)
    {
        var mask = constraint.Allowed(remainingTokens);
        var id = scripted is { } wanted && (mask is null || mask.IsAllowed(wanted)) ? wanted : FirstAllowed(mask);
        constraint.Accept(id);
        return id;
    }

    private static int FirstAllowed(TokenMask? mask)
    {
        if (mask is null) return 0;
        var bits = mask.Bits;
        for (var word = 0; word < bits.Length; word++)
            if (bits[word] != 0) return word * 64 + System.Numerics.BitOperations.TrailingZeroCount(bits[word]);
        throw new InvalidOperationException("The constraint allows no token.");
    }

    // Like the engine's KV cache: the prompt plus every sampled token but the last (never fed back).
    private void RememberCache(int[] prompt, List<int> generated) =>
        _previousPrompt = [.. prompt, .. generated.Take(Math.Max(0, generated.Count - 1))];

    private static int CommonPrefixLength(IReadOnlyList<int> a, IReadOnlyList<int> b)
    {
        var n = Math.Min(a.Count, b.Count);
        var i = 0;
        while (i < n && a[i] == b[i]) i++;
        return i;
    }
}
