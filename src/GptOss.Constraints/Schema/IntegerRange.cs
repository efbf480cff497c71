using GptOss.Constraints.Automata;

namespace GptOss.Constraints.Schema;

/// <summary>
/// Decimal integers in a closed range as a byte automaton, canonical form only (no leading zeros, no <c>-0</c>), so
/// the grammar itself keeps the value within <c>minimum</c>/<c>maximum</c>.
/// </summary>
internal static class IntegerRange
{
    /// <summary>The bound used where a schema sets none: 15 digits, exact in a double and in every validator.</summary>
    public const long Limit = 999_999_999_999_999;

    public static Fragment Build(Nfa nfa, long min, long max)
    {
        if (min > max) throw new ArgumentOutOfRangeException(nameof(min), $"Empty integer range [{min}, {max}].");
        var parts = new List<Fragment>();
        if (min < 0)
            parts.Add(nfa.Sequence(nfa.Literal("-"), NonNegative(nfa, Math.Max(1, -Math.Min(max, -1)), -min)));
        if (max >= 0)
            parts.Add(NonNegative(nfa, Math.Max(min, 0), max));
        return nfa.Choice(parts);
    }

    private static Fragment NonNegative(Nfa nfa, long min, long max)
    {
        var parts = new List<Fragment>();
        int minDigits = min.ToString(System.Globalization.CultureInfo.InvariantCulture).Length;
        int maxDigits = max.ToString(System.Globalization.CultureInfo.InvariantCulture).Length;
        for (int digits = minDigits; digits <= maxDigits; digits++)
        {
            long lowest = digits == 1 ? 0 : Pow10(digits - 1);
            long highest = Pow10(digits) - 1;
            string lo = Math.Max(min, lowest).ToString(System.Globalization.CultureInfo.InvariantCulture);
            string hi = Math.Min(max, highest).ToString(System.Globalization.CultureInfo.InvariantCulture);
            parts.Add(SameLength(nfa, lo, hi));
        }
        return nfa.Choice(parts);
    }

    /// <summary>Digit strings of one length between <paramref name="lo"/> and <paramref name="hi"/>, by their first digit.</summary>
    private static Fragment SameLength(Nfa nfa, string lo, string hi)
    {
        if (lo.Length == 1) return DigitRange(nfa, lo[0], hi[0]);
        string rest = new('9', lo.Length - 1), zeros = new('0', lo.Length - 1);
        // Full tails ('0..0' to '9..9') need no split: this keeps the automaton quadratic in the digits, not exponential.
        if (lo[1..] == zeros && hi[1..] == rest)
            return nfa.Sequence([DigitRange(nfa, lo[0], hi[0]), .. Enumerable.Range(0, lo.Length - 1).Select(_ => DigitRange(nfa, '0', '9'))]);
        if (lo[0] == hi[0]) return nfa.Sequence(nfa.Literal(lo[..1]), SameLength(nfa, lo[1..], hi[1..]));
        var parts = new List<Fragment>
        {
            nfa.Sequence(nfa.Literal(lo[..1]), SameLength(nfa, lo[1..], rest)),
            nfa.Sequence(nfa.Literal(hi[..1]), SameLength(nfa, zeros, hi[1..])),
        };
        if (hi[0] - lo[0] > 1)
            parts.Add(nfa.Sequence([DigitRange(nfa, (char)(lo[0] + 1), (char)(hi[0] - 1)), .. Enumerable.Range(0, lo.Length - 1).Select(_ => DigitRange(nfa, '0', '9'))]));
        return nfa.Choice(parts);
    }

    private static Fragment DigitRange(Nfa nfa, char lo, char hi)
    {
        int start = nfa.AddState(), end = nfa.AddState();
        nfa.AddEdge(start, lo, hi, end);
        return new Fragment(start, end);
    }

    private static long Pow10(int exponent)
    {
        long value = 1;
        for (int i = 0; i < exponent; i++) value *= 10;
        return value;
    }
}
