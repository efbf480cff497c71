using GptOss.Constraints.Automata;

namespace GptOss.Constraints.Schema;

/// <summary>
/// JSON string values as byte automata: one character at a time (a raw UTF-8 character or an escape), counted for
/// <c>minLength</c>/<c>maxLength</c>. Characters are counted as code points; JsonSchema.Net (and .NET) count grapheme
/// clusters, never more than code points, so <c>maxLength</c> holds as is. A string with a <c>minLength</c> is kept to
/// printable ASCII and escapes that each form a grapheme of their own (no <c>\r</c>, no <c>\u</c>), so every counted
/// character counts for the validator too.
/// </summary>
internal static class JsonStringBuilder
{
    /// <summary>The most characters a bounded string may be built with (each is a copy of the character automaton).</summary>
    public const int MaxCountedLength = 4096;

    public static Fragment String(Nfa nfa, int minLength, int? maxLength)
    {
        bool asciiOnly = minLength > 0;
        var body = nfa.Repeat(() => Character(nfa, asciiOnly), minLength, maxLength);
        return nfa.Sequence(nfa.Literal("\""), body, nfa.Literal("\""));
    }

    /// <summary>One character of a JSON string's body.</summary>
    public static Fragment Character(Nfa nfa, bool asciiOnly)
    {
        int start = nfa.AddState(), end = nfa.AddState();
        // Printable ASCII but the quote and the backslash, which must be escaped.
        nfa.AddEdge(start, 0x20, 0x21, end);
        nfa.AddEdge(start, 0x23, 0x5B, end);
        nfa.AddEdge(start, 0x5D, 0x7E, end);
        int escape = nfa.AddState();
        nfa.AddEdge(start, '\\', escape);
        foreach (char c in asciiOnly ? "\"\\/bfnt" : "\"\\/bfnrt") nfa.AddEdge(escape, c, end);
        if (asciiOnly) return new Fragment(start, end);

        nfa.AddEdge(start, 0x7F, end);
        // \uXXXX but not D800-DFFF: a lone surrogate is not a character (D000-D7FF are left out with them).
        int hex1 = nfa.AddState();
        nfa.AddEdge(escape, 'u', hex1);
        int hex2 = nfa.AddState();
        AddHexDigits(nfa, hex1, hex2, exceptD: true);
        int hex3 = nfa.AddState(), hex4 = nfa.AddState();
        AddHexDigits(nfa, hex2, hex3);
        AddHexDigits(nfa, hex3, hex4);
        AddHexDigits(nfa, hex4, end);
        AddNonAsciiUtf8(nfa, start, end);
        return new Fragment(start, end);
    }

    private static void AddHexDigits(Nfa nfa, int from, int to, bool exceptD = false)
    {
        nfa.AddEdge(from, '0', '9', to);
        nfa.AddEdge(from, 'a', exceptD ? 'c' : 'f', to);
        nfa.AddEdge(from, 'A', exceptD ? 'C' : 'F', to);
        if (exceptD)
        {
            nfa.AddEdge(from, 'e', 'f', to);
            nfa.AddEdge(from, 'E', 'F', to);
        }
    }

    /// <summary>Every well-formed UTF-8 sequence of 2 to 4 bytes (RFC 3629 table: no overlongs, no surrogates).</summary>
    private static void AddNonAsciiUtf8(Nfa nfa, int from, int to)
    {
        int tail1 = nfa.AddState(), tail2 = nfa.AddState(), tail3 = nfa.AddState();
        nfa.AddEdge(tail1, 0x80, 0xBF, to);
        nfa.AddEdge(tail2, 0x80, 0xBF, tail1);
        nfa.AddEdge(tail3, 0x80, 0xBF, tail2);
        nfa.AddEdge(from, 0xC2, 0xDF, tail1);
        AddLead(0xE0, 0xA0, 0xBF, tail1);
        nfa.AddEdge(from, 0xE1, 0xEC, tail2);
        AddLead(0xED, 0x80, 0x9F, tail1);
        nfa.AddEdge(from, 0xEE, 0xEF, tail2);
        AddLead(0xF0, 0x90, 0xBF, tail2);
        nfa.AddEdge(from, 0xF1, 0xF3, tail3);
        AddLead(0xF4, 0x80, 0x8F, tail2);

        void AddLead(int lead, int secondLo, int secondHi, int rest)
        {
            int second = nfa.AddState();
            nfa.AddEdge(from, lead, second);
            nfa.AddEdge(second, secondLo, secondHi, rest);
        }
    }
}
