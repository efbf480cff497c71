namespace GptOss.Tools.Browser;

/// <summary>Collects a page's links while its text is built, numbering them in order of appearance.</summary>
internal sealed class PageLinks(string pageUrl, Func<string, string?> resolve)
{
    private readonly Dictionary<int, string> _links = [];

    public IReadOnlyDictionary<int, string> Links => _links;

    /// <summary>The link as the model sees it, <c>【id†text】</c> (<c>【id†text†host】</c> when it leaves the page's site); the plain text when the target is unusable.</summary>
    public string Add(string text, string href)
    {
        text = PageText.EscapeBrackets(text.Replace('†', '‡')).Trim();
        if (text.Length == 0 || href.StartsWith('#') || href.StartsWith("javascript:", StringComparison.OrdinalIgnoreCase) || href.StartsWith("mailto:", StringComparison.OrdinalIgnoreCase))
            return text;
        if (resolve(href) is not { } target) return text;
        var id = _links.Count;
        _links[id] = target;
        var host = HostOf(target);
        return host is not null && host != HostOf(pageUrl) ? $"【{id}†{text}†{host}】" : $"【{id}†{text}】";
    }

    private static string? HostOf(string url) => Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" ? uri.Host : null;
}
