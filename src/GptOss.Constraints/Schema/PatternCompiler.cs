using GptOss.Constraints.Automata;

namespace GptOss.Constraints.Schema;

/// <summary>
/// The <c>pattern</c> subset, compiled to the body of a JSON string whose value matches it. Supported: literal ASCII
/// characters, <c>.</c>, classes <c>[a-z_]</c> and <c>[^...]</c>, the escapes <c>\d \D \w \W \s \S \t \n \r \f \v</c>
/// and escaped punctuation, groups <c>( )</c> and <c>(?: )</c>, <c>|</c>, the quantifiers <c>* + ? {n} {n,} {n,m}</c>
/// (a lazy <c>?</c> after one is accepted), <c>^</c> at the start and <c>$</c> at the end. Without them the pattern
/// matches anywhere in the string, as JSON Schema says. Values are built from printable ASCII (and the whitespace
/// escapes a class asks for), so <c>.</c> and negated classes mean their printable ASCII members: every value the
/// grammar builds matches in .NET and ECMAScript regex alike.
/// </summary>
internal sealed class PatternCompiler
{
    private const int MaxRepeat = 1000;
    private const int MaxGroupDepth = 64;
    private readonly string _pattern;
    private readonly string _pointer;
    private int _position;
    private int _groupDepth;

    private PatternCompiler(string pattern, string pointer)
    {
        _pattern = pattern;
        _pointer = pointer;
    }

    /// <summary>The quoted JSON string whose value matches <paramref name="pattern"/>.</summary>
    public static Fragment Compile(Nfa nfa, string pattern, string pointer)
    {
        var parser = new PatternCompiler(pattern, pointer);
        bool anchoredStart = parser.Eat('^');
        var body = parser.Alternation();
        bool anchoredEnd = parser.Eat('$');
        if (parser._position < pattern.Length) throw parser.Error($"unexpected '{pattern[parser._position]}' at offset {parser._position}");
        var anyText = new Repeat(CharacterSet.Printable, 0, null);
        Node whole = new Sequence([.. anchoredStart ? [] : new Node[] { anyText }, body, .. anchoredEnd ? [] : new Node[] { anyText }]);
        return nfa.Sequence(nfa.Literal("\""), whole.Build(nfa), nfa.Literal("\""));
    }

    private JsonSchemaNotSupportedException Error(string detail) => new("pattern", _pointer, $"{detail} in /{(_pattern.Length <= 80 ? _pattern : _pattern[..80] + "…")}/");

    private bool AtEnd => _position >= _pattern.Length;

    private bool Eat(char c)
    {
        if (AtEnd || _pattern[_position] != c) return false;
        _position++;
        return true;
    }

    private Node Alternation()
    {
        var alternatives = new List<Node> { Concatenation() };
        while (Eat('|')) alternatives.Add(Concatenation());
        return alternatives.Count == 1 ? alternatives[0] : new Alternatives(alternatives);
    }

    private Node Concatenation()
    {
        var items = new List<Node>();
        while (!AtEnd && _pattern[_position] is not ('|' or ')'))
        {
            if (_pattern[_position] == '$' && _position == _pattern.Length - 1) break;
            items.Add(Quantified(Atom()));
        }
        return new Sequence(items);
    }

    private Node Quantified(Node atom)
    {
        if (AtEnd) return atom;
        (int min, int? max)? bounds = _pattern[_position] switch
        {
            '*' => (0, null),
            '+' => (1, null),
            '?' => (0, 1),
            '{' => Braces(),
            _ => null,
        };
        if (bounds is not { } b) return atom;
        if (_pattern[_position - 1] != '}') _position++;
        Eat('?');   // lazy and greedy match the same strings
        return new Repeat(atom, b.min, b.max);
    }

    private (int, int?) Braces()
    {
        int close = _pattern.IndexOf('}', _position);
        if (close < 0) throw Error("unclosed '{'");
        string inside = _pattern[(_position + 1)..close];
        string[] parts = inside.Split(',');
        if (parts.Length > 2 || !int.TryParse(parts[0], out int min) || min > MaxRepeat)
            throw Error($"quantifier {{{inside}}} must be {{n}}, {{n,}} or {{n,m}} with n, m ≤ {MaxRepeat}");
        int? max = min;
        if (parts.Length == 2)
        {
            if (parts[1].Length == 0) max = null;
            else if (int.TryParse(parts[1], out int m) && m >= min && m <= MaxRepeat) max = m;
            else throw Error($"quantifier {{{inside}}} must be {{n}}, {{n,}} or {{n,m}} with n ≤ m ≤ {MaxRepeat}");
        }
        _position = close + 1;
        return (min, max);
    }

    private Node Atom()
    {
        char c = _pattern[_position++];
        switch (c)
        {
            case '(':
                if (Eat('?') && !Eat(':')) throw Error("only (?: ) groups are supported (no lookaround or named groups)");
                if (++_groupDepth > MaxGroupDepth) throw Error($"groups nest deeper than {MaxGroupDepth} levels");
                var inner = Alternation();
                if (!Eat(')')) throw Error("unclosed '('");
                _groupDepth--;
                return inner;
            case '[':
                return Class();
            case '.':
                return CharacterSet.Printable;
            case '\\':
                return Escape(inClass: false);
            case '^' or '$':
                throw Error($"'{c}' is supported only at the start or end of the pattern");
            case '*' or '+' or '?' or '{' or ')':
                throw Error($"'{c}' at offset {_position - 1} has nothing to repeat or close");
            default:
                return CharacterSet.Of(Ascii(c));
        }
    }

    private CharacterSet Class()
    {
        bool negated = Eat('^');
        var members = new bool[128];
        bool first = true;
        while (!AtEnd && (_pattern[_position] != ']' || first))
        {
            first = false;
            var item = ClassItem();
            if (item.Single is { } lo && _position + 1 < _pattern.Length && _pattern[_position] == '-' && _pattern[_position + 1] != ']')
            {
                _position++;
                var upper = ClassItem();
                if (upper.Single is not { } hi || hi < lo) throw Error("a class range must go from one character up to another");
                for (int x = lo; x <= hi; x++) members[x] = true;
                continue;
            }
            item.AddTo(members);
        }
        if (!Eat(']')) throw Error("unclosed '['");
        return negated ? CharacterSet.Printable.Except(members) : new CharacterSet(members);
    }

    private CharacterSet ClassItem() => Eat('\\') ? Escape(inClass: true) : CharacterSet.Of(Ascii(_pattern[_position++]));

    private CharacterSet Escape(bool inClass)
    {
        if (AtEnd) throw Error("a pattern cannot end with '\\'");
        char c = _pattern[_position++];
        return c switch
        {
            'd' => CharacterSet.Digits,
            'D' => CharacterSet.Printable.Except(CharacterSet.Digits.Members),
            'w' => CharacterSet.Word,
            'W' => CharacterSet.Printable.Except(CharacterSet.Word.Members),
            's' => CharacterSet.Space,
            'S' => CharacterSet.Printable.Except(CharacterSet.Space.Members),
            't' => CharacterSet.Of('\t'),
            'n' => CharacterSet.Of('\n'),
            'r' => CharacterSet.Of('\r'),
            'f' => CharacterSet.Of('\f'),
            'v' => CharacterSet.Of('\v'),
            'b' when inClass => CharacterSet.Of('\b'),
            _ when char.IsAsciiLetterOrDigit(c) => throw Error($"escape '\\{c}' is not supported"),
            _ => CharacterSet.Of(Ascii(c)),
        };
    }

    private char Ascii(char c) => c < 128 ? c : throw Error($"non-ASCII character '{c}' is not supported");

    private abstract class Node
    {
        public abstract Fragment Build(Nfa nfa);
    }

    private sealed class Sequence(List<Node> items) : Node
    {
        public override Fragment Build(Nfa nfa) => nfa.Sequence(items.Select(item => item.Build(nfa)).ToList());
    }

    private sealed class Alternatives(List<Node> alternatives) : Node
    {
        public override Fragment Build(Nfa nfa) => nfa.Choice(alternatives.Select(a => a.Build(nfa)).ToList());
    }

    private sealed class Repeat(Node item, int min, int? max) : Node
    {
        public override Fragment Build(Nfa nfa) => nfa.Repeat(() => item.Build(nfa), min, max);
    }

    /// <summary>A set of ASCII characters; built as the JSON spelling of each (escaped where JSON requires).</summary>
    private sealed class CharacterSet(bool[] members) : Node
    {
        public static readonly CharacterSet Printable = Range(' ', '~');
        public static readonly CharacterSet Digits = Range('0', '9');
        public static readonly CharacterSet Word = Union(Range('a', 'z'), Range('A', 'Z'), Digits, Of('_'));
        public static readonly CharacterSet Space = Union(Of(' '), Of('\t'), Of('\n'), Of('\r'), Of('\f'), Of('\v'));

        public bool[] Members { get; } = members;

        public int? Single => Members.Count(m => m) == 1 ? Array.IndexOf(Members, true) : null;

        public static CharacterSet Of(char c)
        {
            var members = new bool[128];
            members[c] = true;
            return new CharacterSet(members);
        }

        private static CharacterSet Range(char lo, char hi)
        {
            var members = new bool[128];
            for (int c = lo; c <= hi; c++) members[c] = true;
            return new CharacterSet(members);
        }

        private static CharacterSet Union(params CharacterSet[] sets)
        {
            var members = new bool[128];
            foreach (var set in sets) set.AddTo(members);
            return new CharacterSet(members);
        }

        public void AddTo(bool[] target)
        {
            for (int c = 0; c < 128; c++) target[c] |= Members[c];
        }

        public CharacterSet Except(bool[] excluded) => new(Members.Select((m, c) => m && !excluded[c]).ToArray());

        public override Fragment Build(Nfa nfa)
        {
            int start = nfa.AddState(), end = nfa.AddState();
            for (int c = 0; c < 128; c++)
            {
                if (!Members[c]) continue;
                string spelling = c switch
                {
                    '"' => "\\\"",
                    '\\' => "\\\\",
                    '\b' => "\\b",
                    '\t' => "\\t",
                    '\n' => "\\n",
                    '\f' => "\\f",
                    '\r' => "\\r",
                    < 0x20 => $"\\u{c:x4}",
                    _ => ((char)c).ToString(),
                };
                var path = nfa.Literal(spelling);
                nfa.AddEpsilon(start, path.Start);
                nfa.AddEpsilon(path.End, end);
            }
            return new Fragment(start, end);
        }
    }
}
