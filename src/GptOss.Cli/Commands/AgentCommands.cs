using GptOss.Generation;
using System.CommandLine;
using GptOss.Agents;
using GptOss.Agents.Plugins;
using GptOss.Engine;
using GptOss.SemanticKernel;
using Microsoft.Extensions.Configuration;
using GptOss.Tools;

namespace GptOss.Cli.Commands;

/// <summary>`gptoss run`, `gptoss chat`, `gptoss agents list|validate`</summary>
internal static class AgentCommands
{
    private static readonly Option<string?> AgentsOption = new("--agents")
    {
        Description = "Folder of agent files (*.yaml); default: the settings' Agents:Directory, else ./agents",
    };

    private static readonly Option<string?> ConfigOption = new("--config")
    {
        Description = "Settings file; default: ./appsettings.json, else the one beside the binary",
    };

    private static readonly Option<string?> ModelOption = new("--model")
    {
        Description = "Checkpoint folder of a gpt-oss model to run",
    };

    private static readonly Option<string?> ScriptOption = new("--script")
    {
        Description = "Replay scripted harmony completions (separated by '---' lines) instead of a model",
    };

    public static Command CreateRun()
    {
        var agent = new Option<string>("--agent") { Description = "Name of the agent to run", Required = true };
        var json = new Option<bool>("--json") { Description = "Write the transcript as JSON lines (one event per line) to stdout" };
        var transcript = new Option<string?>("--transcript") { Description = "Also write the JSON-lines transcript to this file" };
        var task = new Argument<string>("task") { Description = "What the agent should do" };
        var command = new Command("run", "Run an agent on a task until it answers.");
        command.Arguments.Add(task);
        command.Options.Add(agent);
        command.Options.Add(json);
        command.Options.Add(transcript);
        AddHostOptions(command);
        command.SetAction((r, ct) => Guard(r, async () =>
        {
            using var host = AgentHost.Open(r);
            var definition = host.Catalog.Get(r.GetValue(agent)!);
            await using var session = host.Runner.CreateSession(definition);
            var view = r.GetValue(json)
                ? (IRunView)new JsonLinesView(r.InvocationConfiguration.Output)
                : new TerminalView(r.InvocationConfiguration.Output, r.InvocationConfiguration.Error);
            var events = session.SendAsync(r.GetValue(task)!, ct);
            if (r.GetValue(transcript) is not { } file) return ExitCode(await Drive(events, view, ct), r.InvocationConfiguration.Error);
            await using var writer = new StreamWriter(file);
            return ExitCode(await Drive(events.WriteTo(writer, ct), view, ct), r.InvocationConfiguration.Error);
        }));
        return command;
    }

    public static Command CreateChat()
    {
        var agent = new Option<string?>("--agent") { Description = "Name of the agent to chat with (default: 'assistant' if configured)" };
        var command = new Command("chat", "Chat with an agent interactively (one message per line; empty line or /exit ends).");
        command.Options.Add(agent);
        AddHostOptions(command);
        command.SetAction((r, ct) => Guard(r, async () =>
        {
            using var host = AgentHost.Open(r);
            var definition = r.GetValue(agent) is { } name ? host.Catalog.Get(name) : DefaultChatAgent(host.Catalog);
            await using var session = host.Runner.CreateSession(definition);
            var output = r.InvocationConfiguration.Output;
            var view = new TerminalView(output, r.InvocationConfiguration.Error);
            await output.WriteLineAsync($"Chatting with '{definition.Name}' on {host.ModelName}. Empty line or /exit to quit.");
            while (true)
            {
                await output.WriteAsync("> ");
                await output.FlushAsync(ct);
                var line = await Input.ReadLineAsync(ct);
                if (line is null || line.Trim() is "" or "/exit") return 0;
                await Drive(session.SendAsync(line, ct), view, ct);
            }
        }));
        return command;
    }

    public static Command CreateAgents()
    {
        var command = new Command("agents", "List and validate the configured agents.");

        var list = new Command("list", "List the configured agents, their tools and where they are defined.");
        AddDiscoveryOptions(list);
        list.SetAction((r, ct) => Guard(r, () =>
        {
            var workspace = Workspace(r);
            var catalog = workspace.LoadAgents(AgentPluginCatalog.Default).BuildCatalog();
            var output = r.InvocationConfiguration.Output;
            foreach (var a in catalog.Agents)
            {
                var tools = a.Tools.Count == 0 ? "no tools" : string.Join(", ", a.Tools.Select(ToolName));
                output.WriteLine($"{a.Name,-14} {a.Description ?? "(no description)"}");
                output.WriteLine($"{"",-14} tools: {tools}; reasoning {a.ReasoningEffort.ToString().ToLowerInvariant()}; max {a.MaxSteps} steps; output {a.Output.Kind.ToString().ToLowerInvariant()}; {a.Source}");
            }
            if (catalog.Agents.Count == 0) output.WriteLine("no agents configured");
            return Task.FromResult(0);
        }));

        var validate = new Command("validate", "Check every agent definition; report each error with its file and line.");
        AddDiscoveryOptions(validate);
        validate.SetAction((r, ct) => Guard(r, () =>
        {
            var workspace = Workspace(r);
            var loader = workspace.LoadAgents(AgentPluginCatalog.Default);
            foreach (var error in loader.Errors) r.InvocationConfiguration.Error.WriteLine(error);
            var sources = string.Join(" and ", new[] { workspace.AgentsDirectory, workspace.SettingsFile }.OfType<string>());
            if (loader.Errors.Count > 0)
            {
                r.InvocationConfiguration.Error.WriteLine($"{loader.Errors.Count} error(s) in the agent configuration ({sources})");
                return Task.FromResult(1);
            }
            r.InvocationConfiguration.Output.WriteLine($"{loader.Definitions.Count} agent(s) valid ({sources})");
            return Task.FromResult(0);
        }));

        command.Subcommands.Add(list);
        command.Subcommands.Add(validate);
        return command;
    }

    /// <summary>Where chat reads the user's lines; tests swap it.</summary>
    internal static TextReader Input { get; set; } = Console.In;

    private static void AddDiscoveryOptions(Command command)
    {
        command.Options.Add(AgentsOption);
        command.Options.Add(ConfigOption);
    }

    private static void AddHostOptions(Command command)
    {
        AddDiscoveryOptions(command);
        command.Options.Add(ModelOption);
        command.Options.Add(ScriptOption);
    }

    private static AgentWorkspace Workspace(ParseResult r) =>
        AgentWorkspace.Discover(r.GetValue(ConfigOption), r.GetValue(AgentsOption));

    private static AgentDefinition DefaultChatAgent(AgentCatalog catalog) =>
        catalog.TryGet("assistant", out var assistant)
            ? assistant
            : new AgentDefinition { Name = "assistant", Instructions = "You are a helpful assistant." };

    private static string ToolName(AgentToolReference tool) => tool switch
    {
        BuiltinToolReference b => b.Name,
        _ => tool.ToString()!,
    };

    /// <summary>Errors (configuration, files, arguments, the model) end the command with one clear line and exit code 1.</summary>
    private static async Task<int> Guard(ParseResult r, Func<Task<int>> action)
    {
        try
        {
            return await action();
        }
        catch (AgentConfigurationException e)
        {
            foreach (var error in e.Errors) await r.InvocationConfiguration.Error.WriteLineAsync(error.ToString());
            await r.InvocationConfiguration.Error.WriteLineAsync($"error: {e.Errors.Count} error(s) in the agent configuration; run 'gptoss agents validate'");
            return 1;
        }
        catch (OperationCanceledException)
        {
            await r.InvocationConfiguration.Error.WriteLineAsync("cancelled");
            return 130;
        }
        catch (Exception e)
        {
            // Bad files, arguments or a model that cannot run: one clear line, never a stack trace.
            await r.InvocationConfiguration.Error.WriteLineAsync($"error: {e.Message.ReplaceLineEndings(" ")}");
            return 1;
        }
    }

    private static async Task<AgentEvent.RunCompleted> Drive(IAsyncEnumerable<AgentEvent> events, IRunView view, CancellationToken ct)
    {
        AgentEvent.RunCompleted? completed = null;
        await foreach (var e in events.WithCancellation(ct))
        {
            await view.ShowAsync(e);
            if (e is AgentEvent.RunCompleted c) completed = c;
        }
        return completed!;
    }

    private static int ExitCode(AgentEvent.RunCompleted completed, TextWriter error)
    {
        if (completed.Outcome == AgentRunOutcome.Answered) return 0;
        error.WriteLine($"error: {completed.Outcome}: {completed.Error}");
        return 2;
    }

    /// <summary>The model (engine or script), the tools and the agents a run needs; disposing frees the model and tools.</summary>
    private sealed record AgentHost(AgentCatalog Catalog, AgentRunner Runner, string ModelName, ITokenGenerator Generator, ToolExecutorFactory Tools)
        : IDisposable
    {
        public void Dispose()
        {
            Tools.Dispose();
            (Generator as IDisposable)?.Dispose();
        }

        public static AgentHost Open(ParseResult r)
        {
            var workspace = Workspace(r);
            var catalog = workspace.LoadAgents(AgentPluginCatalog.Default).BuildCatalog();
            var model = new LocalModelOptions();
            workspace.Configuration.GetSection(LocalModelOptions.SectionName).Bind(model);
            ITokenGenerator generator = (r.GetValue(ModelOption), r.GetValue(ScriptOption)) switch
            {
                ({ }, { }) => throw new ArgumentException("give either --model or --script, not both"),
                (null, { } script) => HarmonyScriptFile.Load(script),
                ({ } directory, null) => LoadEngine(directory, model),
                _ when model.ModelDirectory is { Length: > 0 } configured => LoadEngine(workspace.ResolvePath(configured), model),
                _ => throw new ArgumentException("no model: give --model DIR (a gpt-oss checkpoint), set GptOss:ModelDirectory, or give --script FILE"),
            };
            var tools = new ToolExecutorFactory(workspace.ToolsOptions());
            return new AgentHost(catalog, new AgentRunner(generator, AgentPluginCatalog.Default, tools), generator.Model.Name, generator, tools);
        }

        private static GptOssEngine LoadEngine(string directory, LocalModelOptions options)
        {
            if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"model folder not found: {directory}");
            return GptOssEngine.Load(directory, options.ToEngineOptions() with { Name = Path.GetFileName(Path.TrimEndingDirectorySeparator(directory)) });
        }
    }

    private interface IRunView
    {
        Task ShowAsync(AgentEvent e);
    }

    /// <summary>`--json`: the transcript, one event per line, nothing else on stdout.</summary>
    private sealed class JsonLinesView(TextWriter output) : IRunView
    {
        public async Task ShowAsync(AgentEvent e)
        {
            await output.WriteLineAsync(AgentTranscript.ToJsonLine(e));
            if (e is AgentEvent.RunCompleted) await output.FlushAsync();
        }
    }

    /// <summary>A terminal: the answer streams to stdout; reasoning, tool traffic and step counters go to stderr.</summary>
    private sealed class TerminalView(TextWriter output, TextWriter progress) : IRunView
    {
        private const int ResultPreview = 200;
        private string? _streaming;

        public async Task ShowAsync(AgentEvent e)
        {
            switch (e)
            {
                case AgentEvent.RunStarted s:
                    await progress.WriteLineAsync($"[{s.Agent} on {s.Model}]");
                    break;
                case AgentEvent.ReasoningDelta d:
                    await Stream(progress, "thinking", d.Text);
                    break;
                case AgentEvent.PreambleDelta d:
                    await Stream(progress, "note", d.Text);
                    break;
                case AgentEvent.AnswerDelta d:
                    await Stream(output, "answer", d.Text);
                    await output.FlushAsync();
                    break;
                case AgentEvent.ToolCall c:
                    await EndStream();
                    await progress.WriteLineAsync($"→ {c.Recipient} {OneLine(c.Arguments, ResultPreview)}");
                    break;
                case AgentEvent.ToolResult t:
                    await progress.WriteLineAsync($"← {t.Recipient}{(t.Failed == true ? " (failed)" : "")} {OneLine(t.Content, ResultPreview)}");
                    break;
                case AgentEvent.OutputProblem p:
                    await EndStream();
                    await progress.WriteLineAsync($"! {p.Description}");
                    break;
                case AgentEvent.StepCompleted s:
                    await EndStream();
                    await progress.WriteLineAsync(
                        $"[step {s.Step}: prompt {s.PromptTokens} (cached {s.CachedPromptTokens}, prefill {s.PrefillTokens}), " +
                        $"generated {s.GeneratedTokens}, model {s.ModelTime.TotalMilliseconds:0.#} ms, tools {s.ToolTime.TotalMilliseconds:0.#} ms, " +
                        $"overhead {s.OverheadTime.TotalMilliseconds:0.##} ms]");
                    break;
                case AgentEvent.RunCompleted c:
                    await EndStream();
                    await progress.WriteLineAsync(
                        $"[{c.Outcome} after {c.Step} step(s), {c.Duration.TotalSeconds:0.##} s; prompt {c.PromptTokens} tokens, cached {c.CachedPromptTokens}, generated {c.GeneratedTokens}]");
                    break;
            }
        }

        private async Task Stream(TextWriter writer, string kind, string text)
        {
            if (_streaming != kind)
            {
                await EndStream();
                if (kind != "answer") await writer.WriteAsync($"({kind}) ");
                _streaming = kind;
            }
            await writer.WriteAsync(text);
        }

        private async Task EndStream()
        {
            if (_streaming is null) return;
            await (_streaming == "answer" ? output : progress).WriteLineAsync();
            _streaming = null;
        }

        private static string OneLine(string text, int max)
        {
            var line = text.ReplaceLineEndings(" ⏎ ");
            return line.Length <= max ? line : $"{line[..max]}… ({text.Length} chars)";
        }
    }
}
