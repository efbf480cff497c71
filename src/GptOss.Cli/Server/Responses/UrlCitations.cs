using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace GptOss.Cli.Server.Responses;

/// <summary>
/// The browser's citations in an answer, <c>【{cursor}†L{a}-L{b}】</c>, as <c>url_citation</c> annotations: the
/// cursor names a page the browser showed in this response (its reply begins <c>[cursor] Title (url)</c>), and the
/// citation becomes <c> ([domain](url)) </c>, the span the annotation covers, as gpt-oss's reference server writes it.
/// A citation whose page is unknown stays as the model wrote it.
/// </summary>
internal sealed partial class UrlCitations
{
    private readonly Dictionary<string, string> _urlByCursor = new(StringComparer.Ordinal);

    /// <summary>Notes the page a browser reply shows.</summary>
    public void Read(string browserReply)
    {
        var firstLine = browserReply.Split('\n', 2)[0];
        if (PageHeader().Match(firstLine) is { Success: true } header && header.Groups["url"].Value is { Length: > 0 } url)
        {
            _urlByCursor[header.Groups["cursor"].Value] = url;
        }
    }

    /// <summary>Whether <paramref name="text"/> ends inside a citation, which must be held back until it closes.</summary>
    public static bool EndsInsideCitation(string text) => text.LastIndexOf('【') > text.LastIndexOf('】');

    /// <summary>The text with known citations replaced, and their annotations, indexed from <paramref name="offset"/> (the text before it in the part).</summary>
    public (string Text, List<JsonObject> Annotations) Replace(string text, int offset)
    {
        var result = new StringBuilder();
        var annotations = new List<JsonObject>();
        var last = 0;
        foreach (Match citation in Citation().Matches(text))
        {
            result.Append(text, last, citation.Index - last);
            last = citation.Index + citation.Length;
            if (!_urlByCursor.TryGetValue(citation.Groups["cursor"].Value, out var url))
            {
                result.Append(citation.Value);
                continue;
            }
            var domain = Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Host.Length > 0 ? uri.Host : url;
            var replacement = $" ([{domain}]({url})) ";
            annotations.Add(new JsonObject
            {
                ["type"] = "url_citation",
                ["start_index"] = offset + result.Length,
                ["end_index"] = offset + result.Length + replacement.Length,
                ["url"] = url,
                ["title"] = domain,
            });
            result.Append(replacement);
        }
        result.Append(text, last, text.Length - last);
        return (result.ToString(), annotations);
    }

    [GeneratedRegex(@"^\[(?<cursor>\d+)\] .*?(?: \((?<url>[^()\s]+)\))?$")]
    private static partial Regex PageHeader();

    [GeneratedRegex(@"【(?<cursor>\d+)†(?<content>[^†】]+)(?:†[^†】]+)?】")]
    private static partial Regex Citation();
}
