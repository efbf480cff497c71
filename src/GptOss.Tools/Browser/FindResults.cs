using System.Text;

namespace GptOss.Tools.Browser;

/// <summary>The page <c>find</c> shows: each case-insensitive match with the lines after it, linked back to its line.</summary>
internal static class FindResults
{
    private const int MaxResults = 50;
    private const int LinesShown = 4;

    public static BrowserPage Of(BrowserPage page, string pattern)
    {
        var lines = PageText.StripLinks(string.Join('\n', PageText.WrapLines(page.Text))).Split('\n');
        var text = new StringBuilder();
        var links = new Dictionary<int, string>();
        var linkLines = new Dictionary<int, int>();
        for (var i = 0; i < lines.Length && links.Count < MaxResults;)
        {
            if (!lines[i].Contains(pattern, StringComparison.OrdinalIgnoreCase))
            {
                i++;
                continue;
            }
            var id = links.Count;
            if (text.Length > 0) text.Append("\n\n");
            text.Append("# 【").Append(id).Append("†match at L").Append(i).Append("】\n");
            text.AppendJoin('\n', lines.Skip(i).Take(LinesShown));
            links[id] = page.Url;
            linkLines[id] = i;
            i += LinesShown;
        }
        if (links.Count == 0) text.Append("No `find` results for pattern: `").Append(pattern).Append('`');
        return new BrowserPage(
            $"{page.Url}/find?pattern={Uri.EscapeDataString(pattern)}",
            $"Find results for text: `{pattern}` in `{page.Title}`",
            text.ToString(),
            links) { LinkLines = linkLines };
    }
}
