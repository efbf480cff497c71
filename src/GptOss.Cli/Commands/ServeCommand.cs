using GptOss.Generation;
using System.CommandLine;
using GptOss.Agents;
using GptOss.Cli.Server;
using GptOss.Engine;
using GptOss.SemanticKernel;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace GptOss.Cli.Commands;

/// <summary>`gptoss serve --urls http://127.0.0.1:8000 [--model DIR] [--script FILE]`</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var urls = new Option<string>("--urls")
        {
            Description = "Addresses to listen on, separated by ';'.",
            DefaultValueFactory = _ => "http://127.0.0.1:8000",
        };
        var model = new Option<string?>("--model") { Description = "Checkpoint directory (default: GptOss:ModelDirectory in appsettings.json)." };
        var script = new Option<string?>("--script")
        {
            Description = "Serve scripted harmony completions instead of a model (tests, demos): a JSON array of strings, or completions separated by '---' lines.",
        };
        var command = new Command("serve", "Serve an OpenAI-compatible HTTP API (/v1/chat/completions, /v1/models).");
        command.Options.Add(urls);
        command.Options.Add(model);
        command.Options.Add(script);
        command.SetAction(async (ParseResult r, CancellationToken ct) =>
        {
            var stderr = r.InvocationConfiguration.Error;
            GptOssOptions options;
            ITokenGenerator generator;
            try
            {
                (options, var local) = LoadOptions();
                if (r.GetValue(model) is { } dir) local.ModelDirectory = dir;
                generator = r.GetValue(script) is { } file ? HarmonyScriptFile.Load(file)
                    : local.ModelDirectory is { } modelDir ? GptOssEngine.Load(modelDir, local.ToEngineOptions())
                    : throw new InvalidOperationException("no model: pass --model DIR (or set GptOss:ModelDirectory), or --script FILE");
            }
            catch (Exception e) when (e is IOException or FormatException or InvalidDataException or InvalidOperationException or UnauthorizedAccessException or ArgumentException)
            {
                await stderr.WriteLineAsync($"gptoss serve: {e.Message}");
                return 2;
            }

            try
            {
                var client = new GptOssChatClient(new HarmonyChatPipeline(generator), options);
                var app = OpenAiServer.Create(r.GetValue(urls)!.Split(';', StringSplitOptions.RemoveEmptyEntries), client, options.ModelId);
                await app.StartAsync(ct);
                await stderr.WriteLineAsync($"gptoss serve: {generator.Model.Name} on {string.Join(", ", app.Urls)} (Ctrl+C to stop)");
                await app.WaitForShutdownAsync(ct);
                return 0;
            }
            catch (IOException e)
            {
                await stderr.WriteLineAsync($"gptoss serve: cannot listen: {e.Message}");
                return 1;
            }
            finally
            {
                (generator as IDisposable)?.Dispose();
            }
        });
        return command;
    }

    // appsettings.json beside the executable, then one in the working directory (which wins).
    private static (GptOssOptions, LocalModelOptions) LoadOptions()
    {
        var configuration = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
            .AddJsonFile(Path.Combine(Directory.GetCurrentDirectory(), "appsettings.json"), optional: true)
            .Build();
        var options = new GptOssOptions();
        configuration.GetSection(GptOssOptions.SectionName).Bind(options);
        var local = new LocalModelOptions();
        configuration.GetSection(LocalModelOptions.SectionName).Bind(local);
        return (options, local);
    }
}
