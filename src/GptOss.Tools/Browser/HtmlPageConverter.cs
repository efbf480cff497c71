using System.Text;
using AngleSharp.Dom;
using AngleSharp.Html.Parser;

namespace GptOss.Tools.Browser;

/// <summary>
/// HTML → the browser's text with AngleSharp: scripts, styles and other invisible parts dropped, headings as
/// <c>#</c> lines, list items as <c>*</c> lines, links as <c>【id†text】</c>. The tree is walked without
/// recursion, so hostile nesting cannot overflow the stack.
/// </summary>
internal static partial class HtmlPageConverter
{
    private static readonly HashSet<string> Skipped = new(StringComparer.OrdinalIgnoreCase)
    {
        "script", "style", "noscript", "template", "svg", "canvas", "iframe", "object", "head", "button", "select", "form",
    };

    private static readonly HashSet<string> Blocks = new(StringComparer.OrdinalIgnoreCase)
    {
        "p", "div", "section", "article", "main", "header", "footer", "nav", "aside", "table", "tr", "ul", "ol", "dl", "dt", "dd",
        "blockquote", "pre", "figure", "figcaption", "hr", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "body", "details", "summary",
    };

    /// <summary>Deeper nesting than this is shown as plain text (browsers cap their DOM depth at a few hundred too).</summary>
    private const int MaxNesting = 256;

    public static BrowserPage Convert(string html, string url, string fallbackTitle, Func<string, string?> resolveLink)
    {
        if (HtmlNesting.Exceeds(html, MaxNesting)) return AsPlainText(html, url, fallbackTitle);
        var document = new HtmlParser().ParseDocument(html);
        var links = new PageLinks(url, resolveLink);
        var text = new StringBuilder();
        var stack = new Stack<(INode Node, bool Exit)>();
        if (document.Body is { } body) stack.Push((body, false));
        while (stack.Count > 0)
        {
            var (node, exit) = stack.Pop();
            if (node is IElement element)
            {
                var name = element.LocalName;
                if (exit)
                {
                    if (Blocks.Contains(name)) text.Append('\n');
                    continue;
                }
                if (Skipped.Contains(name)) continue;
                if (Blocks.Contains(name))
                {
                    text.Append('\n');
                    if (name.Length == 2 && name[0] == 'h' && char.IsAsciiDigit(name[1])) text.Append('#', name[1] - '0').Append(' ');
                    else if (name == "li") text.Append("* ");
                }
                if (name == "a" && element.GetAttribute("href") is { } href)
                {
                    text.Append(links.Add(Collapse(element.TextContent), href));
                    continue;
                }
                if (name == "img" && element.GetAttribute("alt") is { Length: > 0 } alt)
                {
                    text.Append("[Image: ").Append(PageText.EscapeBrackets(alt)).Append(']');
                    continue;
                }
                stack.Push((node, true));
                for (var child = node.LastChild; child is not null; child = child.PreviousSibling) stack.Push((child, false));
            }
            else if (node is IText t)
            {
                var inPre = t.ParentElement?.Closest("pre") is not null;
                text.Append(PageText.EscapeBrackets(inPre ? t.Data : Collapse(t.Data)));
            }
        }

        var title = document.Title?.Trim() is { Length: > 0 } documentTitle ? documentTitle
            : document.QuerySelector("h1")?.TextContent.Trim() is { Length: > 0 } heading ? heading
            : fallbackTitle;
        return new BrowserPage(url, Collapse(title).Trim(), PageText.Tidy(text.ToString()).Replace("\n ", "\n"), links.Links);
    }

    private static BrowserPage AsPlainText(string html, string url, string title)
    {
        var text = System.Net.WebUtility.HtmlDecode(Tags().Replace(html, " "));
        return new BrowserPage(url, title, PageText.Tidy(PageText.EscapeBrackets(Collapse(text).Trim())), new Dictionary<int, string>());
    }

    [System.Text.RegularExpressions.GeneratedRegex("<[^>]*>")]
    private static partial System.Text.RegularExpressions.Regex Tags();

    private static string Collapse(string text)
    {
        var sb = new StringBuilder(text.Length);
        var space = false;
        foreach (var c in text)
        {
            if (char.IsWhiteSpace(c))
            {
                space = true;
                continue;
            }
            if (space) sb.Append(' ');
            space = false;
            sb.Append(c);
        }
        if (space) sb.Append(' ');
        return sb.ToString();
    }
}
