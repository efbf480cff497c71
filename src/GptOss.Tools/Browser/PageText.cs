using System.Text;
using System.Text.RegularExpressions;

namespace GptOss.Tools.Browser;

/// <summary>Text helpers shared by the page renderers: wrapping into display lines and neutralizing link markup.</summary>
internal static partial class PageText
{
    public const int LineWidth = 80;

    /// <summary>Marks the URL of a page shown as its raw source.</summary>
    public const string ViewSourcePrefix = "view-source:";

    /// <summary>Splits into lines and wraps each at <see cref="LineWidth"/> columns (at spaces where possible), keeping empty lines.</summary>
    public static List<string> WrapLines(string text)
    {
        var lines = new List<string>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.Length == 0)
            {
                lines.Add("");
                continue;
            }
            var start = 0;
            while (line.Length - start > LineWidth)
            {
                var cut = line.LastIndexOf(' ', start + LineWidth, LineWidth);
                var end = cut > start ? cut + 1 : start + LineWidth;
                lines.Add(line[start..end]);
                start = end;
            }
            lines.Add(line[start..]);
        }
        return lines;
    }

    /// <summary>Documents may not forge the browser's link and citation brackets; they become look-alikes, as in the reference.</summary>
    public static string EscapeBrackets(string text) => text.Replace('【', '〖').Replace('】', '〗');

    /// <summary>Removes link markup, keeping the link text, so <c>find</c> matches what a reader sees.</summary>
    public static string StripLinks(string text) => LinkPattern().Replace(text, m => m.Groups["text"].Value);

    public static string Snippet(string text, int maxChars)
    {
        var collapsed = Whitespace().Replace(StripLinks(text), " ").Trim();
        return collapsed.Length <= maxChars ? collapsed : collapsed[..maxChars].TrimEnd() + "…";
    }

    /// <summary>Collapses runs of blank lines and trims each line's end.</summary>
    public static string Tidy(string text)
    {
        var sb = new StringBuilder(text.Length);
        var blank = 0;
        foreach (var line in text.Split('\n'))
        {
            var trimmed = line.TrimEnd();
            if (trimmed.Trim().Length == 0)
            {
                if (++blank > 1 || sb.Length == 0) continue;
                sb.Append('\n');
                continue;
            }
            blank = 0;
            sb.Append(trimmed).Append('\n');
        }
        return sb.ToString().TrimEnd('\n');
    }

    [GeneratedRegex(@"【\d+†(?<text>[^†】]+)(?:†[^†】]+)?】")]
    private static partial Regex LinkPattern();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
