using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace GptOss.Tools.Browser.Web;

/// <summary>
/// Opens web pages over HTTP(S), only on allowed hosts (checked again on every redirect), only text content
/// types, and only up to a size limit. HTML becomes text with AngleSharp. Network and server errors are
/// transient (the pipeline retries them); everything else is the model's to handle.
/// </summary>
internal sealed class HttpBackend(HttpClient client, HttpBrowserOptions options) : IBrowserBackend
{
    private static readonly string[] TextTypes = ["text/html", "application/xhtml+xml", "text/plain", "text/markdown"];

    public string Source => "web";

    public bool CanSearch => false;

    public bool CanOpen(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https";

    public Task<BrowserPage> SearchAsync(string query, int topn, CancellationToken cancellationToken) =>
        throw new ToolUsageException("The web source cannot search; open a URL instead.");

    public async Task<BrowserPage> OpenAsync(string url, bool viewSource, CancellationToken cancellationToken)
    {
        var uri = new Uri(url);
        for (var hop = 0; ; hop++)
        {
            if (!IsAllowed(uri)) throw new ToolUsageException($"`{uri.Host}` is not on the browser's allow-list of hosts.");
            using var request = new HttpRequestMessage(HttpMethod.Get, uri);
            request.Headers.Accept.ParseAdd("text/html, text/plain;q=0.9, text/markdown;q=0.9");
            using var response = await SendAsync(request, cancellationToken).ConfigureAwait(false);
            if ((int)response.StatusCode is >= 300 and < 400 && response.Headers.Location is { } location)
            {
                if (hop >= options.MaxRedirects) throw new ToolUsageException($"Too many redirects opening `{url}`.");
                uri = new Uri(uri, location);
                continue;
            }
            if ((int)response.StatusCode >= 500 || response.StatusCode == HttpStatusCode.TooManyRequests)
                throw new TransientBrowserException($"HTTP {(int)response.StatusCode} {response.ReasonPhrase} from {uri.Host}");
            if (!response.IsSuccessStatusCode)
                throw new ToolUsageException($"HTTP {(int)response.StatusCode} {response.ReasonPhrase} for `{uri}`.");
            var body = await ReadTextAsync(response, uri, cancellationToken).ConfigureAwait(false);
            var final = uri.AbsoluteUri;
            if (viewSource)
                return new BrowserPage(PageText.ViewSourcePrefix + final, final, PageText.EscapeBrackets(body), new Dictionary<int, string>());
            if (response.Content.Headers.ContentType?.MediaType is "text/html" or "application/xhtml+xml")
                return HtmlPageConverter.Convert(body, final, uri.Host, href => Resolve(uri, href));
            return new BrowserPage(final, uri.Host, PageText.Tidy(PageText.EscapeBrackets(body)), new Dictionary<int, string>());
        }
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        try
        {
            return await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new TransientBrowserException($"Error fetching `{request.RequestUri}`: {e.Message}", e);
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TransientBrowserException($"Fetching `{request.RequestUri}` timed out.", e);
        }
    }

    private async Task<string> ReadTextAsync(HttpResponseMessage response, Uri uri, CancellationToken cancellationToken)
    {
        var type = response.Content.Headers.ContentType;
        if (type?.MediaType is not { } media || !TextTypes.Contains(media, StringComparer.OrdinalIgnoreCase))
            throw new ToolUsageException($"`{uri}` is not a text page (content type {type?.MediaType ?? "missing"}); the browser shows only HTML and text.");
        if (response.Content.Headers.ContentLength > options.MaxPageBytes)
            throw new ToolUsageException($"`{uri}` is {response.Content.Headers.ContentLength} bytes, over the browser's limit of {options.MaxPageBytes} bytes.");

        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > options.MaxPageBytes)
                throw new ToolUsageException($"`{uri}` is over the browser's limit of {options.MaxPageBytes} bytes.");
            buffer.Write(chunk, 0, read);
        }
        var text = Decode(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), type);
        if (LooksBinary(text)) throw new ToolUsageException($"`{uri}` claims to be text but is binary data.");
        return text;
    }

    private static string Decode(ReadOnlySpan<byte> bytes, MediaTypeHeaderValue type)
    {
        try
        {
            if (type.CharSet is { Length: > 0 } charset) return Encoding.GetEncoding(charset.Trim('"')).GetString(bytes);
        }
        catch (ArgumentException)
        {
            // An unknown charset: fall back to UTF-8.
        }
        return Encoding.UTF8.GetString(bytes);
    }

    private static bool LooksBinary(string text)
    {
        var sample = text.AsSpan(0, Math.Min(text.Length, 8192));
        var control = 0;
        foreach (var c in sample)
            if (c == '\0' || c < ' ' && c is not ('\n' or '\r' or '\t' or '\f')) control++;
        return control > sample.Length / 100 + 1;
    }

    private bool IsAllowed(Uri uri)
    {
        if (uri.Scheme is not ("http" or "https")) return false;
        var host = uri.IdnHost.TrimEnd('.');
        foreach (var pattern in options.AllowedHosts)
        {
            var p = pattern.Trim().TrimEnd('.');
            if (p.StartsWith("*.", StringComparison.Ordinal)
                    ? host.EndsWith(p[1..], StringComparison.OrdinalIgnoreCase)
                    : host.Equals(p, StringComparison.OrdinalIgnoreCase))
                return true;
        }
        return false;
    }

    private static string? Resolve(Uri page, string href) =>
        Uri.TryCreate(page, href.Trim(), out var target) && target.Scheme is "http" or "https" ? target.AbsoluteUri : null;


    /// <summary>The client the factory shares: no automatic redirects (each hop is checked), decompression on, the time limit.</summary>
    public static HttpClient CreateClient(TimeSpan timeLimit) => new(new SocketsHttpHandler
    {
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.All,
        ConnectTimeout = timeLimit,
        PooledConnectionLifetime = TimeSpan.FromMinutes(2),
    })
    {
        Timeout = timeLimit,
    };
}
