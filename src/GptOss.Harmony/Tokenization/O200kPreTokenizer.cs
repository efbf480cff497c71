using System.Globalization;
using System.Text;
using Microsoft.ML.Tokenizers;

namespace GptOss.Harmony;

/// <summary>
/// o200k_base's pre-tokenization pattern, evaluated over Unicode code points:
/// <code>
/// [^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?
/// |[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?
/// |\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+
/// </code>
/// </summary>
/// <remarks>
/// A hand-written matcher instead of a .NET <c>Regex</c>: .NET regexes see a character outside the Basic
/// Multilingual Plane as two surrogates that are not letters, so e.g. <c>𝐀'S</c> would split differently from
/// tiktoken (Rust regexes match code points). Each alternative below reproduces the backtracking result of the
/// pattern: the first alternative that matches at a position wins.
/// </remarks>
internal sealed class O200kPreTokenizer : PreTokenizer
{
    public override IEnumerable<(int Offset, int Length)> PreTokenize(string text) =>
        text is null ? [] : Split(text.AsSpan());

    public override IEnumerable<(int Offset, int Length)> PreTokenize(ReadOnlySpan<char> text) => Split(text);

    private static List<(int Offset, int Length)> Split(ReadOnlySpan<char> text)
    {
        var pieces = new List<(int, int)>();
        int position = 0;
        while (position < text.Length)
        {
            int end = MatchAt(text, position);
            pieces.Add((position, end - position));
            position = end;
        }
        return pieces;
    }

    [Flags]
    private enum Kind
    {
        None = 0,
        Upper = 1,      // Lu Lt Lm Lo M
        Lower = 2,      // Ll Lm Lo M
        Letter = 4,     // \p{L}
        Number = 8,     // \p{N}
        Space = 16,     // \s
        LineBreak = 32, // \r \n
    }

    private static readonly Kind[] AsciiKinds = Enumerable.Range(0, 128).Select(c => Classify(new Rune(c))).ToArray();

    private static (Kind Kind, int Length) At(ReadOnlySpan<char> text, int i)
    {
        if (i >= text.Length) return (Kind.None, 0);
        char c = text[i];
        if (c < 128) return (AsciiKinds[c], 1);
        if (Rune.DecodeFromUtf16(text[i..], out Rune rune, out int length) != System.Buffers.OperationStatus.Done)
        {
            return (Kind.None, 1); // a lone surrogate counts as "other"
        }
        return (Classify(rune), length);
    }

    private static Kind Classify(Rune rune)
    {
        if (rune.Value is '\r' or '\n') return Kind.Space | Kind.LineBreak;
        if (Rune.IsWhiteSpace(rune)) return Kind.Space;
        return Rune.GetUnicodeCategory(rune) switch
        {
            UnicodeCategory.UppercaseLetter or UnicodeCategory.TitlecaseLetter => Kind.Letter | Kind.Upper,
            UnicodeCategory.LowercaseLetter => Kind.Letter | Kind.Lower,
            UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter => Kind.Letter | Kind.Upper | Kind.Lower,
            UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark => Kind.Upper | Kind.Lower,
            UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber => Kind.Number,
            _ => Kind.None,
        };
    }

    private static int MatchAt(ReadOnlySpan<char> text, int p)
    {
        var (kind, length) = At(text, p);
        // Alternatives 1 and 2, each tried with the greedy [^\r\n\p{L}\p{N}]? prefix first, then without it.
        bool prefixable = (kind & (Kind.LineBreak | Kind.Letter | Kind.Number)) == 0;
        int letters = prefixable ? LowerWord(text, p + length) : -1;
        if (letters < 0) letters = LowerWord(text, p);
        if (letters < 0 && prefixable) letters = UpperWord(text, p + length);
        if (letters < 0) letters = UpperWord(text, p);
        if (letters >= 0) return letters;

        if ((kind & Kind.Number) != 0)
        {
            int end = p;
            for (int n = 0; n < 3 && (At(text, end).Kind & Kind.Number) != 0; n++) end += At(text, end).Length;
            return end;
        }

        int symbols = Symbols(text, p);
        if (symbols >= 0) return symbols;

        return Whitespace(text, p);
    }

    /// <summary>Alternative 1 from <paramref name="q"/>: <c>Upper* Lower+ contraction?</c>, where Upper* backtracks to
    /// the last position at which a Lower starts; -1 if it does not match.</summary>
    private static int LowerWord(ReadOnlySpan<char> text, int q)
    {
        int upperEnd = q;
        int lastLowerInRun = -1;
        while (true)
        {
            var (k, len) = At(text, upperEnd);
            if ((k & Kind.Upper) == 0) break;
            if ((k & Kind.Lower) != 0) lastLowerInRun = upperEnd;
            upperEnd += len;
        }
        int lowerStart = (At(text, upperEnd).Kind & Kind.Lower) != 0 ? upperEnd : lastLowerInRun;
        return lowerStart >= 0 ? Contraction(text, Run(text, lowerStart, Kind.Lower)) : -1;
    }

    /// <summary>Alternative 2 from <paramref name="q"/>: <c>Upper+ Lower* contraction?</c>; -1 if it does not match.</summary>
    private static int UpperWord(ReadOnlySpan<char> text, int q)
    {
        int upperEnd = Run(text, q, Kind.Upper);
        return upperEnd > q ? Contraction(text, Run(text, upperEnd, Kind.Lower)) : -1;
    }

    private static int Run(ReadOnlySpan<char> text, int i, Kind kind)
    {
        while (true)
        {
            var (k, len) = At(text, i);
            if ((k & kind) == 0) return i;
            i += len;
        }
    }

    /// <summary><c>(?i:'s|'t|'re|'ve|'m|'ll|'d)?</c> with Unicode simple case folding (<c>ſ</c> folds to <c>s</c>).</summary>
    private static int Contraction(ReadOnlySpan<char> text, int e)
    {
        if (e >= text.Length || text[e] != '\'') return e;
        char a = e + 1 < text.Length ? char.ToLowerInvariant(text[e + 1]) : '\0';
        char b = e + 2 < text.Length ? char.ToLowerInvariant(text[e + 2]) : '\0';
        if (a is 's' or '\u017F' or 't') return e + 2;
        if ((a, b) is ('r', 'e') or ('v', 'e')) return e + 3;
        if (a == 'm') return e + 2;
        if ((a, b) is ('l', 'l')) return e + 3;
        if (a == 'd') return e + 2;
        return e;
    }

    /// <summary><c> ?[^\s\p{L}\p{N}]+[\r\n/]*</c>; -1 if it does not match.</summary>
    private static int Symbols(ReadOnlySpan<char> text, int p)
    {
        static bool IsSymbol(Kind k) => (k & (Kind.Space | Kind.Letter | Kind.Number)) == 0;
        int start = p;
        if (text[p] == ' ' && p + 1 < text.Length && IsSymbol(At(text, p + 1).Kind)) start = p + 1;
        if (start >= text.Length || !IsSymbol(At(text, start).Kind)) return -1;
        int end = start;
        while (end < text.Length && IsSymbol(At(text, end).Kind)) end += At(text, end).Length;
        while (end < text.Length && text[end] is '\r' or '\n' or '/') end++;
        return end;
    }

    /// <summary><c>\s*[\r\n]+|\s+(?!\S)|\s+</c>, entered only at whitespace.</summary>
    private static int Whitespace(ReadOnlySpan<char> text, int p)
    {
        int end = p;
        int lastLineBreak = -1;
        while (true)
        {
            var (k, len) = At(text, end);
            if ((k & Kind.Space) == 0) break;
            if ((k & Kind.LineBreak) != 0) lastLineBreak = end;
            end += len;
        }
        if (lastLineBreak >= 0) return lastLineBreak + 1;
        if (end >= text.Length) return end;
        // \s+(?!\S): give back the last whitespace character (always one UTF-16 unit) when something follows.
        return end - 1 > p ? end - 1 : end;
    }
}
