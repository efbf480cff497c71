using System.Diagnostics;

namespace GptOss.Tools.Tests;

/// <summary>
/// Corpus files that must not be indexed: a FIFO (reading it would block the index build forever), a hard link to
/// a file outside the corpus, a file over the size limit and a binary file. Each is named, with the reason, when the
/// model opens it. A blocked build cannot hang a test: every call is bounded by the tool's timeout.
/// </summary>
public sealed class CorpusSkippedFileTests : IAsyncLifetime
{
    private const long MaxDocumentBytes = 10_000;

    private readonly string _parent = Directory.CreateTempSubdirectory("gptoss-corpus-skip-").FullName;
    private ToolExecutorFactory? _factory;
    private ToolExecutor? _executor;

    private string Root => Path.Combine(_parent, "corpus");

    public Task InitializeAsync()
    {
        Directory.CreateDirectory(Root);
        File.WriteAllText(Path.Combine(_parent, "hostname"), "secret-host-name\n");
        File.WriteAllText(Path.Combine(Root, "garden.md"), "# Garden\n\nTomatoes need sun.\n");
        Run("mkfifo", Path.Combine(Root, "pipe.md"));
        Run("ln", Path.Combine(_parent, "hostname"), Path.Combine(Root, "hostname.txt"));
        Run("ln", Path.Combine(Root, "garden.md"), Path.Combine(Root, "garden-copy.md"));
        File.WriteAllText(Path.Combine(Root, "big.md"), "# Big\n\n" + new string('x', (int)MaxDocumentBytes));
        File.WriteAllBytes(Path.Combine(Root, "image.txt"), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52]);
        File.WriteAllBytes(Path.Combine(Root, "latin1.txt"), [0x63, 0x61, 0x66, 0xE9, 0x0A]);
        _factory = new ToolExecutorFactory(Calls.FastOptions(o =>
        {
            o.JavaScript.Enabled = false;
            o.Python.Enabled = false;
            o.Browser.CorpusDirectory = Root;
            o.Browser.MaxDocumentBytes = MaxDocumentBytes;
        }));
        _executor = _factory.Create();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _executor!.DisposeAsync();
        _factory!.Dispose();
        Directory.Delete(_parent, recursive: true);
    }

    private Task<string> Open(string path, bool viewSource = false) =>
        _executor!.RunAsync("browser.open", System.Text.Json.JsonSerializer.Serialize(new { id = path, view_source = viewSource }));

    [Fact]
    public async Task A_fifo_is_skipped_so_search_still_works_and_opening_it_says_why()
    {
        var search = await _executor!.RunAsync("browser.search", """{"query": "tomatoes sun"}""");
        Assert.Contains("garden.md", search);
        Assert.Contains("`pipe.md` is in the corpus but was not indexed: it is a FIFO, not a regular file.", await Open("pipe.md"));
    }

    [Fact]
    public async Task A_hard_link_to_a_file_outside_the_corpus_is_not_served()
    {
        Assert.Contains("No results", await _executor!.RunAsync("browser.search", """{"query": "secret host name"}"""));
        var text = await Open("hostname.txt");
        Assert.DoesNotContain("secret-host-name", text);
        Assert.Contains("`hostname.txt` is in the corpus but was not indexed: it is a hard link with 2 names, 1 of them not a corpus document, so its content may come from outside the corpus", text);
    }

    [Fact]
    public async Task Hard_links_between_corpus_files_are_kept()
    {
        Assert.Contains("Tomatoes need sun.", await Open("garden-copy.md"));
        Assert.Contains("Tomatoes need sun.", await Open("garden.md", viewSource: true));
    }

    [Theory]
    [InlineData("big.md", "it is 10007 bytes, over the size limit of 10000 bytes (Tools:Browser:MaxDocumentBytes)")]
    [InlineData("image.txt", "it is binary (it holds NUL characters)")]
    [InlineData("latin1.txt", "it is not UTF-8 text")]
    public async Task Oversized_and_binary_files_are_named_with_the_reason(string path, string why)
    {
        Assert.Contains($"`{path}` is in the corpus but was not indexed: {why}.", await Open(path));
    }

    private static void Run(string program, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(program, arguments) { RedirectStandardError = true })!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', arguments)}: {error}");
    }
}
