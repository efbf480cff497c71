namespace GptOss.Tools;

/// <summary>
/// A page as the browser shows it: text in which links are written <c>【{id}†text】</c>, and where each link id
/// leads. A result list (search or find results) may also say at which line of its target each link lands.
/// </summary>
public sealed record BrowserPage(string Url, string Title, string Text, IReadOnlyDictionary<int, string> Links)
{
    /// <summary>For result lists: the line of the linked page each link points at.</summary>
    public IReadOnlyDictionary<int, int>? LinkLines { get; init; }

    /// <summary>Search and find results cannot themselves be searched with <c>find</c>.</summary>
    public bool IsResultList => LinkLines is not null;
}

/// <summary>Where the browser's pages come from (a local corpus, the web).</summary>
public interface IBrowserBackend
{
    /// <summary>Named in the namespace description as <c>sources=...</c>.</summary>
    string Source { get; }

    bool CanSearch { get; }

    /// <summary>Whether <paramref name="url"/> is one this backend serves.</summary>
    bool CanOpen(string url);

    Task<BrowserPage> SearchAsync(string query, int topn, CancellationToken cancellationToken);

    /// <summary>Opens a page; with <paramref name="viewSource"/>, its raw source as text.</summary>
    Task<BrowserPage> OpenAsync(string url, bool viewSource, CancellationToken cancellationToken);
}
