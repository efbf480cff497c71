namespace GptOss.Constraints.Automata;

/// <summary>
/// Runs an <see cref="Nfa"/> deterministically, building DFA states (sets of NFA states) the first time a walk reaches
/// them, so a new schema's first mask costs only the states that mask touches. NFA states that cannot reach
/// <see cref="Nfa.Accept"/> are dropped from every set, so a dead end is state -1 at once. Not thread-safe: the owner locks.
/// </summary>
internal sealed class LazyDfa
{
    public const int Dead = -1;

    /// <summary>The most deterministic states one constraint may build (rows of 1 KB each): a bound for patterns whose determinization explodes.</summary>
    public const int MaxStates = 65_536;

    private readonly Nfa _nfa;
    private readonly int[] _nfaNeed;
    private readonly List<int[]> _sets = [];
    private readonly List<int[]?> _rows = [];
    private readonly List<int> _need = [];
    private readonly Dictionary<int[], int> _ids = new(SetComparer.Instance);
    private readonly int[] _visitedStamp;
    private int _stamp;

    public LazyDfa(Nfa nfa)
    {
        _nfa = nfa;
        _nfaNeed = ShortestToAccept(nfa);
        _visitedStamp = new int[nfa.StateCount];
        Start = StateOf(Closure([nfa.Start]));
    }

    public int Start { get; }

    public int StateCount => _sets.Count;

    /// <summary>Fewest symbols from <paramref name="state"/> to the end of the answer (every byte is a token, so also a bound in tokens).</summary>
    public int Need(int state) => _need[state];

    public bool IsAccepting(int state) => Array.IndexOf(_sets[state], _nfa.Accept) >= 0;

    public bool IsReasoning(int state) => _nfa.Reasoning >= 0 && Array.IndexOf(_sets[state], _nfa.Reasoning) >= 0;

    /// <summary>The transition row of <paramref name="state"/>: next state per symbol, <see cref="Dead"/> where none.</summary>
    public int[] Row(int state) => _rows[state] ?? BuildRow(state);

    public int Next(int state, int symbol) => Row(state)[symbol];

    /// <summary>
    /// The row of a state seen for the first time. Symbols between consecutive edge bounds behave alike, so each such
    /// interval costs one closure (a string's ~200 content bytes are a handful of intervals, not 200 closures).
    /// </summary>
    private int[] BuildRow(int state)
    {
        var bounds = new SortedSet<int> { 0, Symbols.Count };
        foreach (int nfaState in _sets[state])
            foreach (var edge in _nfa.EdgesOf(nfaState))
            {
                bounds.Add(edge.Lo);
                bounds.Add(edge.Hi + 1);
            }
        var row = new int[Symbols.Count];
        var targets = new List<int>();
        int from = -1;
        foreach (int bound in bounds)
        {
            if (from >= 0)
            {
                targets.Clear();
                foreach (int nfaState in _sets[state])
                    foreach (var edge in _nfa.EdgesOf(nfaState))
                        if (edge.Lo <= from && from <= edge.Hi) targets.Add(edge.Target);
                int next = targets.Count == 0 ? Dead : StateOf(Closure(targets));
                row.AsSpan(from, bound - from).Fill(next);
            }
            from = bound;
        }
        _rows[state] = row;
        return row;
    }

    private int StateOf(int[] set)
    {
        if (set.Length == 0) return Dead;
        if (_ids.TryGetValue(set, out int id)) return id;
        if (_sets.Count >= MaxStates)
            throw new InvalidOperationException($"The constraint's automaton grew past {MaxStates:N0} states; simplify its patterns.");
        id = _sets.Count;
        _sets.Add(set);
        _rows.Add(null);
        int need = int.MaxValue;
        foreach (int s in set) need = Math.Min(need, _nfaNeed[s]);
        _need.Add(need);
        _ids.Add(set, id);
        return id;
    }

    /// <summary>
    /// The epsilon closure, keeping only states that matter to the future (those with symbol edges, and the accept
    /// state) and can still reach the accept state; sorted, so equal futures share one DFA state.
    /// </summary>
    private int[] Closure(IEnumerable<int> seeds)
    {
        _stamp++;
        var stack = new Stack<int>();
        var kept = new List<int>();
        foreach (int seed in seeds)
            if (_visitedStamp[seed] != _stamp)
            {
                _visitedStamp[seed] = _stamp;
                stack.Push(seed);
            }
        while (stack.Count > 0)
        {
            int s = stack.Pop();
            if (_nfaNeed[s] == int.MaxValue) continue;
            if (_nfa.EdgesOf(s).Count > 0 || s == _nfa.Accept) kept.Add(s);
            foreach (int next in _nfa.EpsilonsOf(s))
                if (_visitedStamp[next] != _stamp)
                {
                    _visitedStamp[next] = _stamp;
                    stack.Push(next);
                }
        }
        kept.Sort();
        return kept.ToArray();
    }

    /// <summary>Fewest symbols from each NFA state to the accept state (0-1 BFS backwards: epsilon edges cost nothing).</summary>
    private static int[] ShortestToAccept(Nfa nfa)
    {
        var reverse = new List<(int From, int Cost)>[nfa.StateCount];
        for (int s = 0; s < nfa.StateCount; s++)
        {
            foreach (var edge in nfa.EdgesOf(s)) (reverse[edge.Target] ??= []).Add((s, 1));
            foreach (int next in nfa.EpsilonsOf(s)) (reverse[next] ??= []).Add((s, 0));
        }
        var need = new int[nfa.StateCount];
        Array.Fill(need, int.MaxValue);
        if (nfa.Accept < 0) return need;
        var queue = new LinkedList<int>();
        need[nfa.Accept] = 0;
        queue.AddFirst(nfa.Accept);
        while (queue.First is { } node)
        {
            queue.RemoveFirst();
            int s = node.Value;
            if (reverse[s] is not { } predecessors) continue;
            foreach (var (from, cost) in predecessors)
            {
                int candidate = need[s] + cost;
                if (candidate >= need[from]) continue;
                need[from] = candidate;
                if (cost == 0) queue.AddFirst(from);
                else queue.AddLast(from);
            }
        }
        return need;
    }

    private sealed class SetComparer : IEqualityComparer<int[]>
    {
        public static readonly SetComparer Instance = new();

        public bool Equals(int[]? x, int[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(int[] set)
        {
            var hash = new HashCode();
            hash.AddBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(set.AsSpan()));
            return hash.ToHashCode();
        }
    }
}
