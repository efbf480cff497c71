using System.Text.RegularExpressions;

namespace GptOss.Tools.Browser.Corpus;

/// <summary>One document of the local corpus, already rendered as a browser page; its URL is its path relative to the corpus root.</summary>
internal sealed partial record CorpusDocument(string Path, BrowserPage Page)
{
    public static readonly string[] Extensions = [".md", ".markdown", ".txt", ".html", ".htm"];

    public static CorpusDocument Read(string relativePath, string source)
    {
        var fallbackTitle = System.IO.Path.GetFileNameWithoutExtension(relativePath);
        var extension = System.IO.Path.GetExtension(relativePath).ToLowerInvariant();
        var page = extension switch
        {
            ".html" or ".htm" => HtmlPageConverter.Convert(source, relativePath, fallbackTitle, href => ResolveLink(relativePath, href)),
            ".md" or ".markdown" => Markdown(relativePath, source, fallbackTitle),
            _ => PlainText(relativePath, source, fallbackTitle),
        };
        return new CorpusDocument(relativePath, page);
    }

    /// <summary>A link target: an absolute web URL as is, a relative one as a corpus path (resolved against the document's folder).</summary>
    public static string? ResolveLink(string documentPath, string href)
    {
        var corpusBase = new Uri("http://corpus.invalid/" + documentPath);
        if (!Uri.TryCreate(corpusBase, href.Trim(), out var target)) return null;
        if (target.Host == "corpus.invalid") return Uri.UnescapeDataString(target.AbsolutePath.TrimStart('/'));
        return target.Scheme is "http" or "https" ? target.AbsoluteUri : null;
    }

    private static BrowserPage Markdown(string path, string source, string fallbackTitle)
    {
        var links = new PageLinks(path, href => ResolveLink(path, href));
        var text = MarkdownLink().Replace(PageText.EscapeBrackets(source.Replace("\r\n", "\n")), m =>
            m.Groups["image"].Success ? $"[Image: {m.Groups["text"].Value}]" : links.Add(m.Groups["text"].Value, m.Groups["href"].Value));
        var heading = MarkdownHeading().Match(source);
        var title = heading.Success ? heading.Groups["title"].Value.Trim() : fallbackTitle;
        return new BrowserPage(path, title, PageText.Tidy(text), links.Links);
    }

    private static BrowserPage PlainText(string path, string source, string fallbackTitle)
    {
        var text = PageText.Tidy(PageText.EscapeBrackets(source.Replace("\r\n", "\n")));
        var first = text.Split('\n', 2)[0].Trim();
        var title = first.Length is > 0 and <= 100 ? first : fallbackTitle;
        return new BrowserPage(path, title, text, new Dictionary<int, string>());
    }

    [GeneratedRegex(@"(?<image>!)?\[(?<text>[^\]\n]{1,500})\]\((?<href>[^)\s]{1,2000})(?:\s+""[^""\n]*"")?\)")]
    private static partial Regex MarkdownLink();

    [GeneratedRegex(@"^#\s+(?<title>.+)$", RegexOptions.Multiline)]
    private static partial Regex MarkdownHeading();
}
