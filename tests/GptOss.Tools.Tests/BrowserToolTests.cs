using System.Text.RegularExpressions;

namespace GptOss.Tools.Tests;

public sealed partial class BrowserToolTests : ExecutorTestBase, IClassFixture<CorpusFolder>
{
    public BrowserToolTests(CorpusFolder corpus) : base(o =>
    {
        o.JavaScript.Enabled = false;
        o.Python.Enabled = false;
        o.Browser.CorpusDirectory = corpus.Root;
        o.Browser.ViewChars = 1500;
    })
    {
    }

    private Task<string> Browse(string function, string json) => Executor.RunAsync("browser." + function, json);

    [Fact]
    public void Namespace_is_harmonys_browser_with_the_real_source()
    {
        var ns = Assert.Single(Executor.Namespaces);
        Assert.Equal("browser", ns.Name);
        Assert.Equal(["search", "open", "find"], ns.Tools.Select(t => t.Name));
        Assert.EndsWith("\nsources=local", ns.Description);
        Assert.StartsWith("Tool for browsing.\n", ns.Description);
    }

    [Fact]
    public async Task Search_shows_ranked_results_with_links_and_a_cursor()
    {
        var page = await Browse("search", """{"query": "bubblewrap loopback network"}""");
        Assert.StartsWith("[0] bubblewrap loopback network\n**viewing lines [0 - ", page);
        Assert.Contains("L0: # Search Results", page);
        var first = ResultLine().Match(page);
        Assert.True(first.Success, page);
        Assert.Equal("0", first.Groups["id"].Value);
        Assert.Equal("guides/bubblewrap.md", first.Groups["url"].Value);
    }

    [Fact]
    public async Task Open_a_result_then_follow_a_link_then_scroll_and_find()
    {
        await Browse("search", """{"query": "Jint interpreter constraints"}""");
        var page = await Browse("open", """{"id": 0, "loc": 0}""");
        Assert.StartsWith("[1] Jint interpreter (jint.html)\n**viewing lines [0 - ", page);
        Assert.DoesNotContain("alert", page);
        Assert.DoesNotContain("color: red", page);
        Assert.Contains("* Timeout interval", page);
        var link = Regex.Match(page, @"【(?<id>\d+)†sandbox guide】");
        Assert.True(link.Success, page);

        var guide = await Browse("open", $$"""{"id": {{link.Groups["id"].Value}}}""");
        Assert.StartsWith("[2] Bubblewrap sandboxing (guides/bubblewrap.md)", guide);
        Assert.Contains("【0†prlimit notes】", guide);
        Assert.Contains("【1†upstream project†github.com】", guide);

        var prlimit = await Browse("open", """{"id": 0}""");
        Assert.StartsWith("[3] prlimit notes (prlimit.txt)", prlimit);

        var scrolled = await Browse("open", """{"cursor": 2, "loc": 2, "num_lines": 2}""");
        Assert.StartsWith("[4] Bubblewrap sandboxing (guides/bubblewrap.md)\n**viewing lines [2 - 3] of ", scrolled);
        Assert.Contains("\n\nL2: ", scrolled);
        Assert.DoesNotContain("L1: ", scrolled);

        var found = await Browse("find", """{"pattern": "LOOPBACK", "cursor": 2}""");
        Assert.StartsWith("[5] Find results for text: `LOOPBACK` in `Bubblewrap sandboxing`", found);
        Assert.Matches(@"# 【0†match at L\d+】", found);
        Assert.Contains("Cannot run `find` on search results page", await Browse("find", """{"pattern": "x"}"""));
    }

    [Fact]
    public async Task View_source_shows_the_raw_document()
    {
        var page = await Browse("open", """{"id": "jint.html", "view_source": true}""");
        Assert.StartsWith("[0] Jint interpreter (view-source:jint.html)", page);
        Assert.Contains("<script>alert('no')</script>", page);
        var prefixed = await Browse("open", """{"id": "view-source:jint.html"}""");
        Assert.Contains("<script>alert('no')</script>", prefixed);
    }

    [Fact]
    public async Task Long_pages_are_shown_a_window_at_a_time()
    {
        var page = await Browse("open", """{"id": "filler03.txt"}""");
        var bar = Regex.Match(page, @"\*\*viewing lines \[0 - (?<end>\d+)\] of (?<last>\d+)\*\*");
        Assert.True(bar.Success, page);
        Assert.True(int.Parse(bar.Groups["end"].Value) < int.Parse(bar.Groups["last"].Value));
        Assert.True(page.Length < 1800, $"{page.Length} characters");
        Assert.Contains("Invalid location parameter: `5000`", await Browse("open", """{"loc": 5000}"""));
    }

    [Theory]
    [InlineData("../secret.md")]
    [InlineData("guides/../../secret.md")]
    [InlineData("/../secret.md")]
    [InlineData("escape.md")]
    [InlineData("up/secret.md")]
    [InlineData("up/corpus/prlimit.txt")]
    [InlineData("%2e%2e/secret.md")]
    [InlineData("file:///etc/passwd")]
    [InlineData("/etc/passwd")]
    [InlineData("view-source:../secret.md")]
    [InlineData("guides\\..\\..\\secret.md")]
    public async Task Paths_outside_the_corpus_cannot_be_opened(string path)
    {
        var text = await Browse("open", System.Text.Json.JsonSerializer.Serialize(new { id = path }));
        Assert.DoesNotContain("swordfish", text);
        Assert.DoesNotContain("root:", text);
        Assert.Matches("outside the corpus|No document|Cannot open", text);
        var search = await Browse("search", """{"query": "swordfish launch code"}""");
        Assert.DoesNotContain("secret", search);
        Assert.Contains("No results", search);
    }

    [Fact]
    public async Task Bad_calls_get_error_messages()
    {
        Assert.Contains("No pages to access!", await Browse("open", """{"id": 3}"""));
        Assert.Contains("Invalid function arguments", await Browse("search", "not json"));
        Assert.Contains("needs a `query`", await Browse("search", "{}"));
        Assert.Contains("Unknown function", await Browse("delete", "{}"));
        await Browse("search", """{"query": "prlimit"}""");
        Assert.Contains("Invalid link id `99`", await Browse("open", """{"id": 99}"""));
        Assert.Contains("Cursor `7` is out of range", await Browse("open", """{"cursor": 7}"""));
    }

    [Fact]
    public async Task Functions_namespace_calls_are_rerouted_to_the_browser()
    {
        Assert.True(Executor.CanHandle("functions.search"));
        var results = await Executor.ExecuteAsync(Calls.To("functions.search", """{"query": "prlimit"}""", channel: "commentary"));
        var reply = Assert.Single(results);
        Assert.Equal("functions.search", reply.Author.Name);
        Assert.Equal("commentary", reply.Channel);
        Assert.Contains("prlimit.txt", reply.Text);
    }

    [GeneratedRegex(@"\* 【(?<id>\d+)†(?<title>[^†】]+)†(?<url>[^†】]+)】")]
    private static partial Regex ResultLine();
}
