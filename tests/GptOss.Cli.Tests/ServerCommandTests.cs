using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using GptOss.Cli.Commands;

namespace GptOss.Cli.Tests;

/// <summary>`gptoss serve` as a command: options, errors, and serving a script file.</summary>
public sealed class ServerCommandTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("gptoss-serve-");

    [Fact]
    public async Task A_missing_script_file_is_a_clear_error_with_exit_code_2()
    {
        var stderr = new StringWriter();
        var path = Path.Combine(Path.GetTempPath(), $"no-such-script-{Guid.NewGuid():N}.json");

        var code = await ServeCommand.Create().Parse(["--script", path]).InvokeAsync(new InvocationConfiguration { Error = stderr });

        Assert.Equal(1, code);
        Assert.StartsWith("error: ", stderr.ToString());
        Assert.Contains(path, stderr.ToString());
    }

    [Fact]
    public async Task A_script_that_is_not_a_json_array_of_strings_names_the_file_and_line()
    {
        var path = Path.GetTempFileName();
        await File.WriteAllTextAsync(path, "[\n\"ok\",\n42\n]");
        var stderr = new StringWriter();
        try
        {
            var code = await ServeCommand.Create().Parse(["--script", path]).InvokeAsync(new InvocationConfiguration { Error = stderr });

            Assert.Equal(1, code);
            Assert.Contains($"{path}: not a JSON array of completions (line 3", stderr.ToString());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Serve_with_a_script_answers_openai_requests_on_the_given_url_until_cancelled()
    {
        await using var serve = await RunningServe.StartAsync("--script", ScriptFile(ServerScripts.WeatherAnswer));

        using var response = await serve.Http.PostAsync("v1/chat/completions", new StringContent(
            """{"messages":[{"role":"user","content":"Weather?"}]}""", Encoding.UTF8, "application/json"));
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal("It is 18°C in Paris.", (string?)body["choices"]![0]!["message"]!["content"]);
        Assert.Equal(0, await serve.StopAsync());
        Assert.Contains(serve.Address, serve.Stderr.ToString());
    }

    [Fact]
    public async Task Ps_shows_what_a_running_server_has_loaded()
    {
        await using var serve = await RunningServe.StartAsync("--script", ScriptFile(ServerScripts.WeatherAnswer));

        var (exit, table, _) = await CommandRun.Invoke([PsCommand.Create()], "ps", "--url", serve.Address);
        var (_, json, _) = await CommandRun.Invoke([PsCommand.Create()], "ps", "--url", serve.Address, "--json");

        Assert.Equal(0, exit);
        Assert.Matches(@"gpt-oss\s+gpt-oss-scripted\s+Script\s+131072", table);
        var model = JsonNode.Parse(json)!["models"]![0]!;
        Assert.Equal("gpt-oss-scripted", (string?)model["model"]);
        Assert.Equal(201088, (int)model["vocabulary_size"]!);
    }

    [Fact]
    public async Task Ps_without_a_server_says_so_in_one_line()
    {
        var (exit, _, err) = await CommandRun.Invoke([PsCommand.Create()], "ps", "--url", $"http://127.0.0.1:{RunningServe.FreePort()}");

        Assert.Equal(1, exit);
        Assert.StartsWith("error: no gptoss server answers at http://127.0.0.1:", err);
    }

    private string ScriptFile(params string[] completions)
    {
        var path = Path.Combine(_dir.FullName, $"script-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, JsonSerializer.Serialize(completions));
        return path;
    }

    public void Dispose() => _dir.Delete(recursive: true);
}
