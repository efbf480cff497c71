using System.Text;

namespace GptOss.Constraints.Automata;

/// <summary>A piece of an <see cref="Nfa"/> with one entry and one exit state.</summary>
internal readonly record struct Fragment(int Start, int End);

/// <summary>A transition on every symbol from <see cref="Lo"/> to <see cref="Hi"/> (inclusive).</summary>
internal readonly record struct SymbolEdge(int Lo, int Hi, int Target);

/// <summary>
/// A nondeterministic automaton over <see cref="Symbols"/> under construction (Thompson style: symbol-range edges and
/// epsilon edges). The schema compiler and the harmony frame build into one instance; <see cref="LazyDfa"/> runs it.
/// </summary>
internal sealed class Nfa
{
    /// <summary>
    /// The most states one constraint may compile to (about 30 MB): what a hostile schema (huge minItems, nested
    /// repetitions) runs into instead of the machine's memory.
    /// </summary>
    public const int MaxStates = 250_000;

    private readonly List<List<SymbolEdge>> _edges = [];
    private readonly List<List<int>> _epsilons = [];

    public int StateCount => _edges.Count;

    /// <summary>Where every run begins.</summary>
    public int Start { get; set; }

    /// <summary>The state whose reaching ends the answer (after its stop token).</summary>
    public int Accept { get; set; } = -1;

    /// <summary>The free-analysis state: the reasoning budget counts tokens generated while in it.</summary>
    public int Reasoning { get; set; } = -1;

    public IReadOnlyList<SymbolEdge> EdgesOf(int state) => _edges[state];

    public IReadOnlyList<int> EpsilonsOf(int state) => _epsilons[state];

    public int AddState()
    {
        if (_edges.Count >= MaxStates)
            throw new JsonSchemaNotSupportedException("(size)", "",
                $"the constraint compiles to more than {MaxStates:N0} automaton states; lower minItems, maxItems, minLength, maxLength or pattern repetitions");
        _edges.Add([]);
        _epsilons.Add([]);
        return _edges.Count - 1;
    }

    public void AddEdge(int from, int lo, int hi, int to) => _edges[from].Add(new SymbolEdge(lo, hi, to));

    public void AddEdge(int from, int symbol, int to) => AddEdge(from, symbol, symbol, to);

    public void AddEpsilon(int from, int to) => _epsilons[from].Add(to);

    public Fragment Empty()
    {
        int state = AddState();
        return new Fragment(state, state);
    }

    /// <summary>The exact byte sequence <paramref name="bytes"/>.</summary>
    public Fragment Literal(ReadOnlySpan<byte> bytes)
    {
        int start = AddState(), current = start;
        foreach (byte b in bytes)
        {
            int next = AddState();
            AddEdge(current, b, next);
            current = next;
        }
        return new Fragment(start, current);
    }

    public Fragment Literal(string text) => Literal(Encoding.UTF8.GetBytes(text));

    public Fragment Symbol(int symbol)
    {
        int start = AddState(), end = AddState();
        AddEdge(start, symbol, end);
        return new Fragment(start, end);
    }

    public Fragment Sequence(params IEnumerable<Fragment> parts)
    {
        Fragment? whole = null;
        foreach (var part in parts)
        {
            if (whole is { } sofar) AddEpsilon(sofar.End, part.Start);
            whole = new Fragment(whole?.Start ?? part.Start, part.End);
        }
        return whole ?? Empty();
    }

    public Fragment Choice(IEnumerable<Fragment> alternatives)
    {
        int start = AddState(), end = AddState();
        foreach (var alternative in alternatives)
        {
            AddEpsilon(start, alternative.Start);
            AddEpsilon(alternative.End, end);
        }
        return new Fragment(start, end);
    }

    public Fragment Optional(Fragment inner)
    {
        AddEpsilon(inner.Start, inner.End);
        return inner;
    }

    /// <summary>
    /// <paramref name="min"/> to <paramref name="max"/> (null = unbounded) repetitions of what <paramref name="build"/>
    /// builds, <paramref name="separator"/> between them; each bounded repetition is a fresh copy.
    /// </summary>
    public Fragment Repeat(Func<Fragment> build, int min, int? max, Func<Fragment>? separator = null)
    {
        int start = AddState(), end = AddState();
        if (min == 0) AddEpsilon(start, end);
        if (max == 0) return new Fragment(start, end);
        int current = start;
        for (int count = 1; ; count++)
        {
            if (count > 1 && separator is not null)
            {
                var sep = separator();
                AddEpsilon(current, sep.Start);
                current = sep.End;
            }
            var item = build();
            AddEpsilon(current, item.Start);
            current = item.End;
            if (count >= min) AddEpsilon(current, end);
            if (max is null && count >= Math.Max(min, 1))
            {
                // Unbounded: loop back through a separator to one more copy of the same item.
                var loop = separator?.Invoke() ?? Empty();
                AddEpsilon(current, loop.Start);
                AddEpsilon(loop.End, item.Start);
                break;
            }
            if (count == max) break;
        }
        return new Fragment(start, end);
    }
}
