using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

// server-load: N concurrent OpenAI chat-completions clients against one server for a fixed time, each sending its next
// request as soon as its answer arrives (different prompts, so no client rides another's cache). Prints answers/s,
// errors and latency percentiles as one JSON line, the same for `gptoss serve` and llama.cpp's llama-server.
// Usage: dotnet run -c Release --project tools/server-load -- --url http://127.0.0.1:8080 [--clients 16] [--seconds 30]
//        [--max-tokens 16] [--model NAME]

var url = Option("--url", "http://127.0.0.1:8080").TrimEnd('/');
int clients = int.Parse(Option("--clients", "16"), CultureInfo.InvariantCulture);
int seconds = int.Parse(Option("--seconds", "30"), CultureInfo.InvariantCulture);
int maxTokens = int.Parse(Option("--max-tokens", "16"), CultureInfo.InvariantCulture);
var model = Option("--model", "gpt-oss");

using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = clients, PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
{
    Timeout = TimeSpan.FromSeconds(seconds + 60),
};
var latencies = new List<double>();
int errors = 0;
var firstErrors = new List<string>();
var end = Stopwatch.StartNew();
var deadline = TimeSpan.FromSeconds(seconds);

await Task.WhenAll(Enumerable.Range(0, clients).Select(client => Task.Run(async () =>
{
    for (int request = 0; end.Elapsed < deadline; request++)
    {
        var body = new JsonObject
        {
            ["model"] = model,
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = $"Client {client}, question {request}: say something." }),
            ["max_tokens"] = maxTokens,
            ["temperature"] = 0,
        };
        var clock = Stopwatch.StartNew();
        try
        {
            using var response = await http.PostAsJsonAsync($"{url}/v1/chat/completions", body);
            var text = await response.Content.ReadAsStringAsync();
            if (!response.IsSuccessStatusCode || JsonNode.Parse(text)?["choices"] is null)
                throw new HttpRequestException($"{(int)response.StatusCode}: {text[..Math.Min(text.Length, 200)]}");
            lock (latencies) latencies.Add(clock.Elapsed.TotalSeconds);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException)
        {
            lock (latencies)
            {
                errors++;
                if (firstErrors.Count < 3) firstErrors.Add(e.Message);
            }
        }
    }
})));

double elapsed = end.Elapsed.TotalSeconds;
latencies.Sort();
Console.WriteLine(JsonSerializer.Serialize(new
{
    url,
    clients,
    seconds = Math.Round(elapsed, 1),
    max_tokens = maxTokens,
    answers = latencies.Count,
    answers_per_second = Math.Round(latencies.Count / elapsed, 2),
    errors,
    p50_seconds = Percentile(0.50),
    p99_seconds = Percentile(0.99),
    first_errors = firstErrors,
}));

double Percentile(double p) => latencies.Count == 0 ? 0 : Math.Round(latencies[Math.Min(latencies.Count - 1, (int)Math.Ceiling(p * latencies.Count) - 1)], 3);

string Option(string name, string fallback)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}
