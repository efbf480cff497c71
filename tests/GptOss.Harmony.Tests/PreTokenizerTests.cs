using System.Text.RegularExpressions;
using CsCheck;

namespace GptOss.Harmony.Tests;

/// <summary>
/// The hand-written o200k pre-tokenizer against the pattern itself: on text inside the Basic Multilingual Plane,
/// .NET's regex engine evaluates o200k_base's pattern exactly as tiktoken does, so the splits must agree.
/// </summary>
public class PreTokenizerTests
{
    private static readonly Regex O200kPattern = new(
        @"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+",
        RegexOptions.CultureInvariant);

    // Upper, lower, title, modifier and other letters, marks, digits and other numbers, whitespace kinds,
    // punctuation and the letters of the contractions.
    private const string Alphabet = "aAbZsStTrReEvVmMlLdD'' \t\r\n\u00a0\u2003\u3000\u000b\u0085ǅʰªא中ー\u0301\u0903\u20dd5٣²Ⅻ½.,!?/\\-_()\"<|>#€😀";

    private static List<(int, int)> Regex(string text) => O200kPattern.Matches(text).Select(m => (m.Index, m.Length)).ToList();

    private static List<(int, int)> Ours(string text) => new O200kPreTokenizer().PreTokenize(text).ToList();

    [Fact]
    public void MatchesThePatternOnBmpText()
    {
        Gen.Char[Alphabet].Array[0, 40].Select(chars => new string(chars).Replace("😀", "")).Sample(text =>
        {
            if (text.Any(char.IsSurrogate)) return;
            var expected = Regex(text);
            var actual = Ours(text);
            if (!expected.SequenceEqual(actual))
            {
                throw new Exception($"{System.Text.Json.JsonSerializer.Serialize(text)}: regex {string.Join(" ", expected)} ours {string.Join(" ", actual)}");
            }
        }, iter: 20_000, threads: 2);
    }

    [Theory]
    [InlineData("𝐀'S", new[] { "𝐀'S" })]
    [InlineData(" 𝐀bc", new[] { " 𝐀bc" })]
    [InlineData("hello  world\r\n\r\n  x", new[] { "hello", " ", " world", "\r\n\r\n", " ", " x" })]
    [InlineData("I'm 12345", new[] { "I'm", " ", "123", "45" })]
    public void SplitsAstralLettersAsLetters(string text, string[] pieces) =>
        Assert.Equal(pieces, Ours(text).Select(p => text.Substring(p.Item1, p.Item2)));

    [Fact]
    public void LoneSurrogateIsAnOtherCharacter()
    {
        string text = new string([(char)0xD800, 'x', ' ', (char)0xDC00]);
        Assert.Equal([(0, 2), (2, 2)], Ours(text));
        Assert.NotEmpty(HarmonyTokenizer.Shared.EncodeOrdinary(text));
    }
}
