namespace GptOss.Tools.Browser;

/// <summary>
/// How deeply an HTML document nests its elements, estimated by a linear scan before parsing. The HTML5
/// tree builder scans the stack of open elements for many tags, so a hostile page nesting 100,000 elements
/// takes minutes to parse; pages nested deeper than a limit are shown as plain text instead. Elements that
/// close implicitly (p, li, td, ...) and void elements (br, img, ...) do not count.
/// </summary>
internal static class HtmlNesting
{
    private static readonly HashSet<string> NotNesting = new(StringComparer.OrdinalIgnoreCase)
    {
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr", "param", "keygen",
        "p", "li", "td", "th", "tr", "dt", "dd", "option", "optgroup", "tbody", "thead", "tfoot", "colgroup", "caption", "rb", "rt", "rp",
        "html", "head", "body",
    };

    public static bool Exceeds(string html, int maxDepth)
    {
        var depth = 0;
        var i = 0;
        while ((i = html.IndexOf('<', i)) >= 0 && i + 1 < html.Length)
        {
            if (html.AsSpan(i).StartsWith("<!--"))
            {
                var end = html.IndexOf("-->", i + 4, StringComparison.Ordinal);
                if (end < 0) return false;
                i = end + 3;
                continue;
            }
            var closing = html[i + 1] == '/';
            var start = i + (closing ? 2 : 1);
            var stop = start;
            while (stop < html.Length && char.IsAsciiLetterOrDigit(html[stop])) stop++;
            i = stop;
            if (stop == start) continue;
            var name = html[start..stop];
            if (NotNesting.Contains(name)) continue;
            if (closing)
            {
                depth = Math.Max(0, depth - 1);
                continue;
            }
            if (name.Equals("script", StringComparison.OrdinalIgnoreCase) || name.Equals("style", StringComparison.OrdinalIgnoreCase))
            {
                // Their content is raw text: skip to the matching end tag.
                var end = html.IndexOf("</" + name, stop, StringComparison.OrdinalIgnoreCase);
                if (end < 0) return false;
                i = end;
                continue;
            }
            if (++depth > maxDepth) return true;
        }
        return false;
    }
}
