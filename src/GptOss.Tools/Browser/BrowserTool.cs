using System.Globalization;
using System.Text;
using System.Text.Json;
using GptOss.Harmony;

namespace GptOss.Tools.Browser;

/// <summary>
/// The <c>browser</c> tool with gpt-oss's interface: <c>search</c>, <c>open</c> and <c>find</c> push pages on a
/// per-conversation stack; the top page is shown as <c>[cursor] Title (url)</c>, a <c>**viewing lines [a - b] of n**</c>
/// bar and <c>L{n}: </c> numbered lines, which the model cites as <c>【{cursor}†L{start}-L{end}】</c>.
/// </summary>
internal sealed class BrowserTool(IReadOnlyList<IBrowserBackend> backends, ToolsOptions options) : IHarmonyTool
{
    private readonly List<BrowserPage> _stack = [];
    private readonly SemaphoreSlim _gate = new(1, 1);

    public string Name => "browser";

    public ToolNamespaceConfig Namespace { get; } = DescribeSources(backends);

    public bool IsTransient(Exception exception) => exception is TransientBrowserException;

    public async Task<IReadOnlyList<Message>> ProcessAsync(Message call, CancellationToken cancellationToken)
    {
        var function = call.Recipient is { } r && r.StartsWith("browser.", StringComparison.Ordinal) ? r["browser.".Length..] : "";
        var args = BrowserArguments.Parse(call.Text);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var text = function switch
            {
                "search" => await SearchAsync(args, cancellationToken).ConfigureAwait(false),
                "open" => await OpenAsync(args, cancellationToken).ConfigureAwait(false),
                "find" => Find(args),
                _ => throw new ToolUsageException($"Unknown function: `{function}`. The browser has search, open and find."),
            };
            return [ToolMessages.Reply(call, text)];
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<string> SearchAsync(BrowserArguments args, CancellationToken cancellationToken)
    {
        var query = args.String("query") ?? throw new ToolUsageException("search needs a `query` string.");
        var backend = backends.FirstOrDefault(b => b.CanSearch)
            ?? throw new ToolUsageException("search is not available here: the browser can only open pages by URL.");
        var topn = Math.Clamp(args.Int("topn") ?? options.Browser.MaxSearchResults, 1, Math.Max(1, options.Browser.MaxSearchResults));
        var page = await backend.SearchAsync(query, topn, cancellationToken).ConfigureAwait(false);
        return Push(page, loc: 0, numLines: -1);
    }

    private async Task<string> OpenAsync(BrowserArguments args, CancellationToken cancellationToken)
    {
        var loc = args.Int("loc") ?? -1;
        var numLines = args.Int("num_lines") ?? -1;
        var viewSource = args.Bool("view_source") ?? false;
        string url;
        int? landing = null;
        if (args.String("id") is { } direct)
        {
            url = direct;
        }
        else
        {
            var current = PageAt(args.Int("cursor") ?? -1);
            var id = args.Int("id") ?? -1;
            if (id >= 0)
            {
                if (!current.Links.TryGetValue(id, out url!)) throw new ToolUsageException($"Invalid link id `{id}`.");
                if (current.LinkLines is { } lines && lines.TryGetValue(id, out var line)) landing = line;
            }
            else if (!viewSource)
            {
                return Push(current, loc < 0 ? 0 : loc, numLines); // scroll the page
            }
            else
            {
                url = current.Url;
            }
        }

        if (url.StartsWith(PageText.ViewSourcePrefix, StringComparison.Ordinal))
        {
            url = url[PageText.ViewSourcePrefix.Length..];
            viewSource = true;
        }
        var backend = backends.FirstOrDefault(b => b.CanOpen(url))
            ?? throw new ToolUsageException($"Cannot open `{Truncate(url)}`: no source here serves it (sources: {string.Join(", ", backends.Select(b => b.Source))}).");
        var page = await backend.OpenAsync(url, viewSource, cancellationToken).ConfigureAwait(false);
        if (loc < 0) loc = landing is > 4 ? landing.Value - 4 : landing ?? 0;
        return Push(page, loc, numLines);
    }

    private string Find(BrowserArguments args)
    {
        var pattern = args.String("pattern") ?? throw new ToolUsageException("find needs a `pattern` string.");
        var page = PageAt(args.Int("cursor") ?? -1);
        if (page.IsResultList) throw new ToolUsageException("Cannot run `find` on search results page or find results page");
        return Push(FindResults.Of(page, pattern), 0, -1);
    }

    private BrowserPage PageAt(int cursor)
    {
        if (_stack.Count == 0) throw new ToolUsageException("No pages to access!");
        if (cursor == -1) return _stack[^1];
        if (cursor < 0 || cursor >= _stack.Count)
            throw new ToolUsageException($"Cursor `{cursor}` is out of range. Available cursor indices: [0 - {_stack.Count - 1}].");
        return _stack[cursor];
    }

    /// <summary>Pushes the page and renders its view; a view that cannot be shown is popped again.</summary>
    private string Push(BrowserPage page, int loc, int numLines)
    {
        var lines = PageText.WrapLines(page.Text);
        if (loc >= lines.Count)
            throw new ToolUsageException($"Invalid location parameter: `{loc}`. Cannot exceed page maximum of {lines.Count - 1}.");
        _stack.Add(page);
        return Render(page, _stack.Count - 1, lines, Math.Max(0, loc), numLines);
    }

    private string Render(BrowserPage page, int cursor, List<string> lines, int loc, int numLines)
    {
        var end = numLines > 0 ? Math.Min(loc + numLines, lines.Count) : EndOfView(lines, loc);
        var sb = new StringBuilder();
        sb.Append('[').Append(cursor).Append("] ").Append(page.Title);
        if (page.Url.Length > 0) sb.Append(" (").Append(Truncate(page.Url)).Append(')');
        sb.Append("\n**viewing lines [").Append(loc).Append(" - ").Append(end - 1).Append("] of ").Append(lines.Count - 1).Append("**\n\n");
        for (var i = loc; i < end; i++)
        {
            sb.Append('L').Append(i.ToString(CultureInfo.InvariantCulture)).Append(": ").Append(lines[i]);
            if (i < end - 1) sb.Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>The view's end: as many lines as fit the character budget (the reference counts about 1024 tokens), at least one.</summary>
    private int EndOfView(List<string> lines, int loc)
    {
        var budget = options.Browser.ViewChars;
        var end = loc;
        while (end < lines.Count)
        {
            budget -= lines[end].Length + 8;
            if (budget < 0 && end > loc) break;
            end++;
        }
        return end;
    }

    private static string Truncate(string text, int max = 1024) => text.Length <= max ? text : text[..(max - 3)] + "...";

    private static ToolNamespaceConfig DescribeSources(IReadOnlyList<IBrowserBackend> backends)
    {
        // As gpt-oss's SimpleBrowserTool does: harmony's text with the last line naming the real sources.
        var builtin = BuiltinTools.Browser;
        var lines = builtin.Description!.Split('\n');
        lines[^1] = "sources=" + string.Join(", ", backends.Select(b => b.Source));
        return builtin with { Description = string.Join('\n', lines) };
    }

    /// <summary>The JSON object a browser call carries; every field optional and loosely typed, as models write them.</summary>
    private sealed class BrowserArguments(Dictionary<string, JsonElement> fields)
    {
        public static BrowserArguments Parse(string text)
        {
            if (string.IsNullOrWhiteSpace(text)) return new([]);
            try
            {
                using var doc = JsonDocument.Parse(text);
                if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new ToolUsageException("Invalid function arguments: expected a JSON object.");
                return new(doc.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone()));
            }
            catch (JsonException e)
            {
                throw new ToolUsageException($"Invalid function arguments: {e.Message}");
            }
        }

        public string? String(string name) =>
            fields.TryGetValue(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

        public int? Int(string name) => fields.TryGetValue(name, out var v) ? v.ValueKind switch
        {
            JsonValueKind.Number when v.TryGetDouble(out var d) && Math.Abs(d) < int.MaxValue => (int)d,
            JsonValueKind.Number => throw new ToolUsageException($"`{name}` is out of range."),
            JsonValueKind.String when int.TryParse(v.GetString(), CultureInfo.InvariantCulture, out var i) && name != "id" => i,
            JsonValueKind.Null => null,
            JsonValueKind.String when name == "id" => null,
            _ => throw new ToolUsageException($"`{name}` should be an integer, not `{v.ValueKind.ToString().ToLowerInvariant()}`"),
        } : null;

        public bool? Bool(string name) => fields.TryGetValue(name, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : null;
    }
}

/// <summary>A failure that may pass (network error, server error): the executor's pipeline retries it.</summary>
public sealed class TransientBrowserException(string message, Exception? inner = null) : Exception(message, inner);
