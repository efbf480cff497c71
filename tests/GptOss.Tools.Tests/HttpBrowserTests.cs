namespace GptOss.Tools.Tests;

public sealed class HttpBrowserTests : ExecutorTestBase, IClassFixture<StubWebServer>
{
    private readonly StubWebServer _server;

    public HttpBrowserTests(StubWebServer server) : base(o =>
    {
        o.JavaScript.Enabled = false;
        o.Python.Enabled = false;
        o.Browser.Http.Enabled = true;
        o.Browser.Http.AllowedHosts = ["127.0.0.1"];
        o.Browser.Http.MaxPageBytes = 1L << 20;
    })
    {
        _server = server;
    }

    private Task<string> Open(string url) => Executor.RunAsync("browser.open", System.Text.Json.JsonSerializer.Serialize(new { id = url }));

    [Fact]
    public void Web_source_is_off_by_default()
    {
        using var factory = new ToolExecutorFactory(new ToolsOptions { Python = { Enabled = false }, JavaScript = { Enabled = false } });
        var executor = factory.Create();
        Assert.Empty(executor.Namespaces);
        Assert.Contains("web source is off", executor.Unavailable["browser"]);
    }

    [Fact]
    public async Task Html_is_rendered_as_text_with_links()
    {
        var page = await Open(_server.BaseUrl + "page.html");
        Assert.StartsWith($"[0] Stub page ({_server.BaseUrl}page.html)", page);
        Assert.Contains("## Welcome", page);
        Assert.DoesNotContain("steal", page);
        Assert.Contains("〖0†forged〗", page); // a page cannot forge the browser's links
        Assert.Contains("【0†other page】", page);
        Assert.Contains("【1†away†elsewhere.example】", page);
        Assert.Contains("search is not available", await Executor.RunAsync("browser.search", """{"query": "x"}"""));
    }

    [Theory]
    [InlineData("huge", "limit of 1048576 bytes")]
    [InlineData("huge-declared", "over the browser's limit")]
    [InlineData("image.png", "not a text page (content type image/png)")]
    [InlineData("binary-as-text", "binary data")]
    [InlineData("redirect-away", "`localhost` is not on the browser's allow-list")]
    [InlineData("missing", "HTTP 404")]
    public async Task Hostile_or_broken_pages_become_error_messages(string path, string expected)
    {
        var text = await Open(_server.BaseUrl + path);
        Assert.Contains(expected, text);
        Assert.True(text.Length < 2000);
    }

    [Fact]
    public async Task Absurdly_nested_html_is_shown_as_text_instead_of_stalling_the_parser()
    {
        var page = await Open(_server.BaseUrl + "deep");
        Assert.Contains("L0: deep text", page);
    }

    [Fact]
    public async Task Hosts_off_the_allow_list_are_refused_before_any_request()
    {
        Assert.Contains("`example.com` is not on the browser's allow-list", await Open("http://example.com/"));
        Assert.Contains("Cannot open `ftp://127.0.0.1/x`", await Open("ftp://127.0.0.1/x"));
    }

    [Fact]
    public async Task Server_errors_are_retried()
    {
        var page = await Open(_server.BaseUrl + "flaky");
        Assert.Contains("recovered after a retry", page);
        Assert.Equal(2, _server.FlakyCalls);
    }
}
