using System.Text;

namespace GptOss.Tools.Browser.Corpus;

/// <summary>The default browser source: a folder of Markdown, HTML and text files, searched with BM25.</summary>
internal sealed class CorpusBackend(Lazy<CorpusIndex> index, long maxDocumentBytes) : IBrowserBackend
{
    private const int SnippetChars = 200;

    public string Source => "local";

    public bool CanSearch => true;

    /// <summary>Any path is a corpus path (<c>/a.md</c> parses as a file URI on Unix); a URL with a scheme is not.</summary>
    public bool CanOpen(string url) =>
        !Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.IsFile && !url.Contains(':', StringComparison.Ordinal);

    public Task<BrowserPage> SearchAsync(string query, int topn, CancellationToken cancellationToken)
    {
        var results = index.Value.Search(query, topn);
        var text = new StringBuilder();
        var links = new Dictionary<int, string>();
        var lines = new Dictionary<int, int>();
        var queryTerms = Terms.Of(query).ToHashSet(StringComparer.Ordinal);
        foreach (var (document, _) in results)
        {
            var id = links.Count;
            var (line, snippet) = BestLine(document.Page, queryTerms);
            links[id] = document.Path;
            lines[id] = line;
            text.Append("* 【").Append(id).Append('†').Append(PageText.EscapeBrackets(document.Page.Title.Replace('†', '‡')))
                .Append('†').Append(document.Path).Append("】 ").Append(snippet).Append('\n');
        }
        if (results.Count == 0) text.Append("No results for `").Append(query).Append("`.");
        var page = new BrowserPage("", PageText.EscapeBrackets(query), "# Search Results\n\n" + text.ToString().TrimEnd('\n'), links) { LinkLines = lines };
        return Task.FromResult(page);
    }

    public Task<BrowserPage> OpenAsync(string url, bool viewSource, CancellationToken cancellationToken)
    {
        var path = url.Trim();
        var root = index.Value.Root;
        if (CorpusPaths.Inside(root, path) is not { } full)
            throw new ToolUsageException($"`{path}` is outside the corpus; open a document by the path a search result shows.");
        var relative = CorpusPaths.Relative(root, full);
        var document = index.Value.Find(relative) ?? throw new ToolUsageException(
            index.Value.Skipped.TryGetValue(relative, out var skipped)
                ? $"`{relative}` is in the corpus but was not indexed: {skipped}."
                : $"No document `{relative}` in the corpus.");
        if (!viewSource) return Task.FromResult(document.Page);
        var source = index.Value.ReadSource(relative, maxDocumentBytes);
        if (source.Text is null) throw new ToolUsageException($"The source of `{relative}` cannot be read: {source.Skipped}.");
        return Task.FromResult(new BrowserPage(PageText.ViewSourcePrefix + relative, document.Page.Title, PageText.EscapeBrackets(source.Text), new Dictionary<int, string>()));
    }

    /// <summary>The (wrapped) line that holds the most query terms, and its text as a snippet.</summary>
    private static (int Line, string Snippet) BestLine(BrowserPage page, HashSet<string> queryTerms)
    {
        var lines = PageText.WrapLines(page.Text);
        var (best, bestHits) = (0, 0);
        for (var i = 0; i < lines.Count; i++)
        {
            var hits = Terms.Of(lines[i]).Count(queryTerms.Contains);
            if (hits > bestHits) (best, bestHits) = (i, hits);
        }
        var around = string.Join(' ', lines.Skip(best).Take(3));
        return (best, PageText.Snippet(around, SnippetChars));
    }

}
