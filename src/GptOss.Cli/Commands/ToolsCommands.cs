using System.CommandLine;
using System.Text.Json;
using GptOss.Harmony;
using GptOss.Tools;

namespace GptOss.Cli.Commands;

/// <summary>`gptoss tools ...`: run the model's tools by hand, through the same sandboxed executor agents use.</summary>
internal static class ToolsCommands
{
    private static readonly string[] ToolNames = ["python", "javascript", "browser"];

    public static Command Create()
    {
        var command = new Command("tools", "Run the model's tools (python, javascript, browser) by hand.");
        command.Subcommands.Add(CreateExec());
        command.Subcommands.Add(CreateList());
        return command;
    }

    private static Option<string?> CorpusOption() => new("--corpus") { Description = "Folder of .md/.html/.txt documents for the browser's local source." };

    private static Option<string[]> AllowHostOption() => new("--allow-host")
    {
        Description = "Turn on the browser's web source for this host (repeatable; *.example.com allowed).",
        AllowMultipleArgumentsPerToken = false,
    };

    private static Option<double?> TimeoutOption() => new("--timeout") { Description = "Time limit of one call, in seconds (default 30)." };

    private static Command CreateExec()
    {
        var tool = new Argument<string>("tool") { Description = "python, javascript or browser." };
        tool.AcceptOnlyFromAmong(ToolNames);
        var input = new Option<FileInfo?>("--input") { Description = "File holding the tool call: one harmony message as serde JSON, or an array of them run in order (default: stdin)." };
        var corpus = CorpusOption();
        var allowHost = AllowHostOption();
        var timeout = TimeoutOption();
        var command = new Command("exec", "Run tool calls (harmony JSON messages, e.g. {\"role\":\"assistant\",\"recipient\":\"python\",\"content\":\"print(1)\"}) and print the result messages as JSON.");
        command.Arguments.Add(tool);
        command.Options.Add(input);
        command.Options.Add(corpus);
        command.Options.Add(allowHost);
        command.Options.Add(timeout);
        command.SetAction(async (ParseResult r, CancellationToken ct) =>
        {
            var name = r.GetValue(tool)!;
            var file = r.GetValue(input);
            string json;
            try
            {
                json = file is null ? await Console.In.ReadToEndAsync(ct) : await File.ReadAllTextAsync(file.FullName, ct);
            }
            catch (IOException e)
            {
                return Fail($"cannot read {file?.FullName ?? "stdin"}: {e.Message}");
            }

            IReadOnlyList<Message> calls;
            try
            {
                calls = ReadCalls(json);
            }
            catch (JsonException e)
            {
                return Fail($"{file?.Name ?? "stdin"}: not a harmony message or array of messages: {e.Message}");
            }

            var options = Options(r.GetValue(corpus), r.GetValue(allowHost), r.GetValue(timeout), only: name);
            using var factory = new ToolExecutorFactory(options);
            await using var executor = factory.Create();
            if (executor.Unavailable.TryGetValue(name, out var reason)) return Fail($"the {name} tool is not available: {reason}");

            var results = new List<Message>();
            foreach (var call in calls)
            {
                var addressed = call.Recipient is null ? call with { Recipient = name } : call;
                if (!BelongsTo(addressed.Recipient!, name, executor))
                    return Fail($"a call is addressed to `{addressed.Recipient}`, not to the {name} tool");
                results.AddRange(await executor.ExecuteAsync(addressed, ct));
            }
            Console.Out.WriteLine(HarmonyJson.Serialize(results));
            return 0;
        });
        return command;
    }

    private static Command CreateList()
    {
        var corpus = CorpusOption();
        var allowHost = AllowHostOption();
        var timeout = TimeoutOption();
        var command = new Command("list", "Show the tool namespaces the model would see here, and tools that cannot run and why.");
        command.Options.Add(corpus);
        command.Options.Add(allowHost);
        command.Options.Add(timeout);
        command.SetAction(async (ParseResult r, CancellationToken ct) =>
        {
            using var factory = new ToolExecutorFactory(Options(r.GetValue(corpus), r.GetValue(allowHost), r.GetValue(timeout), only: null));
            await using var executor = factory.Create();
            foreach (var ns in executor.Namespaces)
            {
                Console.Out.WriteLine($"## {ns.Name}");
                Console.Out.WriteLine(ns.Description);
                foreach (var t in ns.Tools) Console.Out.WriteLine($"- {ns.Name}.{t.Name}: {t.Description.Split('\n')[0]}");
                Console.Out.WriteLine();
            }
            foreach (var (name, reason) in executor.Unavailable) Console.Out.WriteLine($"{name}: unavailable: {reason}");
            return 0;
        });
        return command;
    }

    private static IReadOnlyList<Message> ReadCalls(string json)
    {
        var trimmed = json.TrimStart();
        if (trimmed.StartsWith('[')) return HarmonyJson.DeserializeMessages(json);
        if (trimmed.StartsWith('{') && JsonDocument.Parse(json).RootElement.TryGetProperty("messages", out _))
            return HarmonyJson.DeserializeConversation(json).Messages;
        return [HarmonyJson.DeserializeMessage(json)];
    }

    private static bool BelongsTo(string recipient, string tool, ToolExecutor executor) =>
        executor.CanHandle(recipient) && (recipient == tool || recipient.StartsWith(tool + ".", StringComparison.Ordinal) || recipient.StartsWith("functions.", StringComparison.Ordinal));

    private static ToolsOptions Options(string? corpus, string[]? allowHosts, double? timeoutSeconds, string? only)
    {
        var options = new ToolsOptions();
        if (timeoutSeconds is { } seconds) options.TimeLimit = TimeSpan.FromSeconds(seconds);
        options.JavaScript.Enabled = only is null or "javascript";
        options.Python.Enabled = only is null or "python";
        options.Browser.Enabled = only is null or "browser";
        options.Browser.CorpusDirectory = corpus;
        if (allowHosts is { Length: > 0 })
        {
            options.Browser.Http.Enabled = true;
            options.Browser.Http.AllowedHosts = [.. allowHosts];
        }
        return options;
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"gptoss tools: {message}");
        return 2;
    }
}
