using System.Collections.Concurrent;
using System.Text;
using GptOss.Constraints.Automata;
using GptOss.Constraints.Harmony;
using GptOss.Constraints.Vocabulary;
using GptOss.Harmony;

namespace GptOss.Constraints;

/// <summary>
/// An <see cref="AnswerConstraint"/> compiled over the o200k_harmony vocabulary: the harmony frame and its JSON
/// Schemas as one automaton, whose states are built as generation reaches them, and the token masks of the states seen
/// so far. Compile once and share (<see cref="For"/> caches by the schemas and names); each generation takes its own
/// <see cref="Begin"/> session, with its own reasoning budget. Thread-safe.
/// </summary>
public sealed class CompiledAnswerConstraint
{
    private const int CacheCapacity = 64;
    private static readonly ConcurrentDictionary<string, CompiledAnswerConstraint> Cache = new();

    private readonly LazyDfa _dfa;
    private readonly TokenTrie _trie;
    private readonly object _gate = new();
    private readonly Dictionary<int, StateMasks> _masks = [];

    private CompiledAnswerConstraint(AnswerConstraint constraint, TokenTrie trie)
    {
        _dfa = new LazyDfa(HarmonyFrame.Build(constraint));
        _trie = trie;
    }

    /// <summary>
    /// Compiles <paramref name="constraint"/>; throws <see cref="JsonSchemaNotSupportedException"/> for a schema it
    /// cannot enforce, before anything is generated.
    /// </summary>
    public static CompiledAnswerConstraint Compile(AnswerConstraint constraint)
    {
        ArgumentNullException.ThrowIfNull(constraint);
        return new CompiledAnswerConstraint(constraint, TokenTrie.Shared);
    }

    /// <summary><see cref="Compile"/>, reusing an earlier compilation of the same schemas and names.</summary>
    public static CompiledAnswerConstraint For(AnswerConstraint constraint)
    {
        ArgumentNullException.ThrowIfNull(constraint);
        string key = KeyOf(constraint);
        if (Cache.TryGetValue(key, out var compiled)) return compiled;
        compiled = Compile(constraint);
        if (Cache.Count >= CacheCapacity) Cache.Clear();   // bounded: many one-off schemas must not grow it forever
        return Cache.GetOrAdd(key, compiled);
    }

    /// <summary>
    /// The constraint of one generation call. Its analysis may take <paramref name="maxReasoningTokens"/> (the request's
    /// <see cref="AnswerConstraint.MaxReasoningTokens"/>), else the default for <paramref name="effort"/>.
    /// </summary>
    public ITokenConstraint Begin(ReasoningEffort? effort = null, int? maxReasoningTokens = null)
    {
        if (maxReasoningTokens is < 0) throw new ArgumentOutOfRangeException(nameof(maxReasoningTokens), maxReasoningTokens, "The reasoning budget cannot be negative.");
        return new AnswerConstraintSession(this, maxReasoningTokens ?? ReasoningBudget.DefaultFor(effort));
    }

    internal LazyDfa Automaton => _dfa;

    internal object Gate => _gate;

    /// <summary>The mask from <paramref name="state"/> keeping only tokens after which the answer can end within <paramref name="budget"/> tokens. Caller holds <see cref="Gate"/>.</summary>
    internal TokenMask MaskFor(int state, int budget)
    {
        if (!_masks.TryGetValue(state, out var masks))
            _masks[state] = masks = MaskWalker.Walk(_dfa, state, _trie);
        return masks.Within(budget);
    }

    /// <summary>The state after <paramref name="token"/>, or <see cref="LazyDfa.Dead"/>. Caller holds <see cref="Gate"/>.</summary>
    internal int Advance(int state, int token)
    {
        if (HarmonyTokenizer.Shared.IsSpecial(token))
        {
            int symbol = Symbols.OfSpecialToken(token);
            return symbol < 0 ? LazyDfa.Dead : _dfa.Next(state, symbol);
        }
        foreach (byte b in HarmonyTokenizer.Shared.TokenBytes(token))
            if ((state = _dfa.Next(state, b)) == LazyDfa.Dead) break;
        return state;
    }

    private static string KeyOf(AnswerConstraint constraint)
    {
        var key = new StringBuilder();
        key.Append(constraint.Format is null ? "-" : constraint.Format.Schema?.GetRawText() ?? "object").Append('\0');
        foreach (var f in constraint.RequiredCall ?? []) key.Append("r:").Append(f.Name).Append('\0').Append(f.Parameters.GetRawText()).Append('\0');
        key.Append(constraint.RequiredCall is null ? "-" : "+").Append('\0');
        foreach (var f in constraint.StrictFunctions) key.Append("s:").Append(f.Name).Append('\0').Append(f.Parameters.GetRawText()).Append('\0');
        key.Append(constraint.CallsAllowed ? "calls" : "-");
        return key.ToString();
    }
}
