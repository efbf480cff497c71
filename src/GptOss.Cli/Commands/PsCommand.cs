using System.CommandLine;
using System.Text.Json.Nodes;

namespace GptOss.Cli.Commands;

/// <summary>`gptoss ps [--url URL] [--json]`: what a running `gptoss serve` has loaded.</summary>
internal static class PsCommand
{
    public static Command Create()
    {
        var url = new Option<string>("--url") { Description = "The server's address", DefaultValueFactory = _ => "http://127.0.0.1:8000" };
        var json = new Option<bool>("--json") { Description = "Print the server's JSON" };
        var command = new Command("ps", "Show what a running 'gptoss serve' has loaded.");
        command.Options.Add(url);
        command.Options.Add(json);
        command.SetAction((r, ct) => CommandGuard.Run(r, async () =>
        {
            var address = new Uri(new Uri(r.GetValue(url)!.TrimEnd('/') + "/"), "api/ps");
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            string body;
            try
            {
                body = await http.GetStringAsync(address, ct);
            }
            catch (HttpRequestException e)
            {
                throw new IOException($"no gptoss server answers at {address}: {e.Message}", e);
            }
            var output = r.InvocationConfiguration.Output;
            if (r.GetValue(json))
            {
                await output.WriteLineAsync(body);
                return 0;
            }
            await output.WriteLineAsync($"{"NAME",-20} {"MODEL",-24} {"BACKEND",-9} {"CONTEXT",8}  LOADED");
            foreach (var model in JsonNode.Parse(body)?["models"]?.AsArray() ?? [])
                await output.WriteLineAsync($"{(string?)model?["name"],-20} {(string?)model?["model"],-24} {(string?)model?["backend"],-9} {(int?)model?["context_length"],8}  {(string?)model?["loaded_at"]}");
            return 0;
        }));
        return command;
    }
}
