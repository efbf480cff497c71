using System.CommandLine;
using GptOss.Cli.Hosting;
using GptOss.Cli.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;

namespace GptOss.Cli.Commands;

/// <summary>`gptoss serve --urls http://127.0.0.1:8000 [--model DIR | --script FILE | --backend KIND --endpoint URL]`</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var urls = new Option<string>("--urls")
        {
            Description = "Addresses to listen on, separated by ';'.",
            DefaultValueFactory = _ => "http://127.0.0.1:8000",
        };
        var command = new Command("serve", "Serve an OpenAI-compatible HTTP API (/v1/chat/completions, /v1/models).");
        command.Options.Add(urls);
        HostFlags.AddModel(command);
        command.SetAction((r, ct) => CommandGuard.Run(r, async () =>
        {
            using var host = CliHost.Open(r);
            var stderr = r.InvocationConfiguration.Error;
            var generator = host.Generator;   // loads the model now: a bad one fails before listening
            var served = new ServedModel(host.ChatOptions.ModelId, generator.Model, host.BackendName, DateTimeOffset.UtcNow);
            var app = OpenAiServer.Create(r.GetValue(urls)!.Split(';', StringSplitOptions.RemoveEmptyEntries), host.CreateChatClient(), served);
            try
            {
                await app.StartAsync(ct);
            }
            catch (IOException e)
            {
                throw new IOException($"cannot listen: {e.Message}", e);
            }
            await stderr.WriteLineAsync($"gptoss serve: {generator.Model.Name} on {string.Join(", ", app.Urls)} (Ctrl+C to stop)");
            await app.WaitForShutdownAsync(ct);
            return 0;
        }));
        return command;
    }
}
