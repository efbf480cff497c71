using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using GptOss.Harmony;
using Microsoft.ML.Tokenizers;

// harmony-bench: render / parse throughput (tokens/s) and tokenizer encode throughput (MB/s) on the tiktoken
// corpus, beside npm tiktoken on the same corpus (tools/harmony-bench/tiktoken/bench.mjs, when node is available).
// Usage: dotnet run -c Release --project tools/harmony-bench [-- --seconds 3]

double seconds = args.Length >= 2 && args[0] == "--seconds" ? double.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 3;
string root = FindRepoRoot();
string corpusPath = Path.Combine(root, "tests", "GptOss.Harmony.Tests", "Fixtures", "tokenizer", "corpus.txt");
string corpus = File.ReadAllText(corpusPath);
int corpusBytes = Encoding.UTF8.GetByteCount(corpus);

var load = Stopwatch.StartNew();
var tokenizer = HarmonyTokenizer.Shared;
Console.WriteLine($"tokenizer load (vocabulary + special tokens): {load.Elapsed.TotalMilliseconds:F0} ms");
var renderer = new HarmonyRenderer(tokenizer);
Console.WriteLine($"corpus: {corpusPath} ({corpusBytes} bytes); {seconds} s per measurement; {Environment.ProcessorCount} CPUs");

// Tokenizer: the whole corpus per run.
var (encodeRuns, encodeTime, corpusTokens) = Measure(() => tokenizer.EncodeOrdinary(corpus).Count);
Console.WriteLine($"GptOss.Harmony EncodeOrdinary:            {corpusBytes * encodeRuns / encodeTime / 1e6,8:F2} MB/s ({corpusTokens} tokens)");

var mlnet = TiktokenTokenizer.CreateForEncoding("o200k_base");
var (mlRuns, mlTime, mlTokens) = Measure(() => mlnet.EncodeToIds(corpus).Count);
Console.WriteLine($"ML.NET o200k_base (regex pre-tokenizer):  {corpusBytes * mlRuns / mlTime / 1e6,8:F2} MB/s ({mlTokens} tokens)");

Console.WriteLine(RunNodePeer(root, corpusPath, seconds));

// Render: a realistic tool-using conversation (system with browser tool, developer functions, a tool loop).
var conversation = Conversation();
var (renderRuns, renderTime, renderedTokens) = Measure(() => renderer.RenderConversationForCompletion(conversation, Role.Assistant).Count);
Console.WriteLine($"render conversation for completion:      {renderedTokens * renderRuns / renderTime,12:N0} tokens/s ({renderedTokens} tokens, {conversation.Count} messages)");

// Parse: what a model emits after <|start|>assistant, token by token, with deltas.
var completion = renderer.RenderConversation(conversation.Skip(2), new RenderConversationConfig { AutoDropAnalysis = false }).Skip(2).ToList();
var (parseRuns, parseTime, parsedMessages) = Measure(() =>
{
    var parser = new StreamableParser(Role.User);
    foreach (int token in completion) parser.Process(token);
    parser.ProcessEos();
    return parser.Messages.Count;
});
Console.WriteLine($"StreamableParser (token by token):       {completion.Count * parseRuns / parseTime,12:N0} tokens/s ({completion.Count} tokens, {parsedMessages} messages)");

(long Runs, double Seconds, int Result) Measure(Func<int> body)
{
    int result = body(); // warm-up (JIT, caches)
    for (var warm = Stopwatch.StartNew(); warm.Elapsed.TotalSeconds < Math.Min(1, seconds / 3);) result = body();
    long runs = 0;
    var watch = Stopwatch.StartNew();
    while (watch.Elapsed.TotalSeconds < seconds)
    {
        result = body();
        runs++;
    }
    return (runs, watch.Elapsed.TotalSeconds, result);
}

static List<Message> Conversation()
{
    var weather = (JsonObject)JsonNode.Parse("""
        {"type":"object","properties":{"location":{"type":"string","description":"City and country"},
         "unit":{"type":"string","enum":["celsius","fahrenheit"],"default":"celsius"}},"required":["location"]}
        """)!;
    var messages = new List<Message>
    {
        Message.FromRole(Role.System, new SystemContent().WithConversationStartDate("2025-06-28").WithBrowserTool()),
        Message.FromRole(Role.Developer, new DeveloperContent().WithInstructions("Answer briefly and cite sources.")
            .WithFunctionTools([new ToolDescription("get_weather", "Gets the current weather.", weather)])),
    };
    for (int turn = 0; turn < 4; turn++)
    {
        messages.Add(Message.FromRole(Role.User, $"What's the weather in Tokyo and Paris today? Compare them in a table. (turn {turn})"));
        messages.Add(Message.FromRole(Role.Assistant, "The user wants weather for two cities. I should call get_weather twice, then compare the results in a small table with temperatures in celsius.").WithChannel("analysis"));
        messages.Add(Message.FromRole(Role.Assistant, """{"location":"Tokyo, Japan"}""").WithChannel("commentary").WithRecipient("functions.get_weather").WithContentType("<|constrain|>json"));
        messages.Add(Message.FromAuthor(new Author(Role.Tool, "functions.get_weather"), """{"temperature":24,"condition":"sunny","humidity":0.61}""").WithRecipient("assistant").WithChannel("commentary"));
        messages.Add(Message.FromRole(Role.Assistant, "| City | Temp | Sky |\n|---|---|---|\n| Tokyo | 24 °C | ☀️ sunny |\n| Paris | 18 °C | 🌧️ rain |\n\nTokyo is warmer and drier than Paris today.").WithChannel("final"));
    }
    return messages;
}

static string RunNodePeer(string root, string corpusPath, double seconds)
{
    string script = Path.Combine(root, "tools", "harmony-bench", "tiktoken", "bench.mjs");
    if (!Directory.Exists(Path.Combine(root, "tools", "harmony-bench", "tiktoken", "node_modules", "tiktoken")))
    {
        return "npm tiktoken: not run (cd tools/harmony-bench/tiktoken && npm install)";
    }
    try
    {
        var start = new ProcessStartInfo("node", [script, corpusPath, seconds.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd().Trim();
        string error = process.StandardError.ReadToEnd().Trim();
        process.WaitForExit();
        return process.ExitCode == 0 ? output : $"npm tiktoken: failed ({error})";
    }
    catch (System.ComponentModel.Win32Exception e)
    {
        return $"npm tiktoken: not run (node not found: {e.Message})";
    }
}

static string FindRepoRoot()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
    {
        if (File.Exists(Path.Combine(dir.FullName, "GptOssAgent.sln"))) return dir.FullName;
    }
    throw new InvalidOperationException("GptOssAgent.sln not found above " + AppContext.BaseDirectory);
}
