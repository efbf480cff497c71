// Tool-call overhead through the sandboxed executor: JavaScript and python round trips, and browser search on a
// generated 10,000-document corpus. Usage: dotnet run -c Release --project tools/tools-bench [-- --calls N --docs N]
using System.Diagnostics;
using System.Globalization;
using GptOss.Harmony;
using GptOss.Tools;

var calls = Arg("--calls", 200);
var docs = Arg("--docs", 10_000);

Console.WriteLine($"tools-bench: {calls} calls per measurement, {Environment.ProcessorCount} cores");

await using (var js = NewFactory(o => { o.Python.Enabled = false; o.Browser.Enabled = false; }).Create())
{
    await Measure("javascript round trip (x = x + 1)", js, "javascript", _ => "x = (typeof x === 'undefined' ? 0 : x) + 1", calls);
}

using (var factory = NewFactory(o => { o.JavaScript.Enabled = false; o.Browser.Enabled = false; }))
{
    await using var py = factory.Create();
    if (py.Unavailable.TryGetValue("python", out var reason))
    {
        Console.WriteLine($"python: unavailable ({reason})");
    }
    else
    {
        var start = Stopwatch.StartNew();
        await py.ExecuteAsync(Call("python", "x = 0"));
        Console.WriteLine($"python session start (bwrap + prlimit + interpreter): {start.Elapsed.TotalMilliseconds:0.0} ms");
        await Measure("python round trip (x += 1)", py, "python", _ => "x += 1\nx", calls);
    }
}

var corpus = Directory.CreateTempSubdirectory("gptoss-bench-corpus-").FullName;
try
{
    var vocabulary = Vocabulary(5000);
    var generate = Stopwatch.StartNew();
    GenerateCorpus(corpus, docs, vocabulary);
    Console.WriteLine($"corpus: {docs} markdown documents written in {generate.Elapsed.TotalSeconds:0.00} s");
    using var factory = NewFactory(o => { o.JavaScript.Enabled = false; o.Python.Enabled = false; o.Browser.CorpusDirectory = corpus; });
    var index = Stopwatch.StartNew();
    var indexed = factory.WarmUpCorpus();
    Console.WriteLine($"corpus index build: {indexed} documents in {index.Elapsed.TotalSeconds:0.00} s");
    await using var browser = factory.Create();
    var random = new Random(7);
    await Measure("browser.search (3-term query, 10 results)", browser, "browser.search",
        _ => $$"""{"query": "{{Zipf(vocabulary, random)}} {{Zipf(vocabulary, random)}} {{Zipf(vocabulary, random)}}"}""", calls);
    await Measure("browser.open (search result)", browser, "browser.open", i => $$"""{"id": {{i % 5}}, "cursor": 0}""", calls);
}
finally
{
    Directory.Delete(corpus, recursive: true);
}

static async Task Measure(string what, ToolExecutor executor, string recipient, Func<int, string> code, int n)
{
    for (var i = 0; i < Math.Min(10, n); i++) await executor.ExecuteAsync(Call(recipient, code(i)));
    var times = new double[n];
    for (var i = 0; i < n; i++)
    {
        var sw = Stopwatch.StartNew();
        var result = await executor.ExecuteAsync(Call(recipient, code(i)));
        times[i] = sw.Elapsed.TotalMilliseconds;
        if (i == 0) Console.WriteLine($"  sample result: {Shorten(result[0].Text)}");
    }
    Array.Sort(times);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{what}: median {times[n / 2]:0.000} ms, p95 {times[(int)(n * 0.95)]:0.000} ms, min {times[0]:0.000} ms, max {times[^1]:0.000} ms (n={n})"));
}

static Message Call(string recipient, string text) =>
    new Message(new Author(Role.Assistant), [new TextContent(text)]) { Recipient = recipient, Channel = "analysis" };

static ToolExecutorFactory NewFactory(Action<ToolsOptions> configure)
{
    var options = new ToolsOptions();
    configure(options);
    return new ToolExecutorFactory(options);
}

static string Shorten(string text) => (text.Length > 80 ? text[..80] + "…" : text).Replace("\n", "⏎");

static string[] Vocabulary(int size)
{
    var random = new Random(1);
    const string letters = "abcdefghijklmnopqrstuvwxyz";
    return [.. Enumerable.Range(0, size).Select(_ => new string(Enumerable.Range(0, random.Next(3, 10)).Select(_ => letters[random.Next(letters.Length)]).ToArray()))];
}

// Word frequencies fall off like natural text (Zipf), so queries hit both rare and common terms.
static string Zipf(string[] vocabulary, Random random) => vocabulary[(int)Math.Min(vocabulary.Length - 1, Math.Exp(random.NextDouble() * Math.Log(vocabulary.Length)))];

static void GenerateCorpus(string root, int count, string[] vocabulary)
{
    var random = new Random(3);
    for (var d = 0; d < count; d++)
    {
        var dir = Path.Combine(root, $"section{d % 100:00}");
        Directory.CreateDirectory(dir);
        var words = Enumerable.Range(0, 300).Select(i => (i % 12 == 11 ? "\n" : "") + Zipf(vocabulary, random));
        File.WriteAllText(Path.Combine(dir, $"doc{d:00000}.md"), $"# Document {d} {Zipf(vocabulary, random)}\n\n{string.Join(' ', words)}\n");
    }
}

int Arg(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out var v) ? v : fallback;
}
