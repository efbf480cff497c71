using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using GptOss.Agents;
using GptOss.Cli.Hosting;
using GptOss.Cli.Views;

namespace GptOss.Cli.Commands;

/// <summary>`gptoss run --agent NAME "task"`: one agent run to an answer.</summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var agent = new Option<string>("--agent") { Description = "Name of the agent to run", Required = true };
        var json = new Option<bool>("--json") { Description = "Write the transcript as JSON lines (one event per line) to stdout" };
        var transcript = new Option<string?>("--transcript") { Description = "Also write the JSON-lines transcript to this file" };
        var jsonSchema = new Option<string?>("--json-schema") { Description = "Answer with JSON valid against this JSON Schema file (enforced while generating)" };
        var task = new Argument<string>("task") { Description = "What the agent should do" };
        var command = new Command("run", "Run an agent on a task until it answers.");
        command.Arguments.Add(task);
        command.Options.Add(agent);
        command.Options.Add(json);
        command.Options.Add(transcript);
        command.Options.Add(jsonSchema);
        HostFlags.AddModel(command);
        ViewFlags.AddTo(command);
        command.SetAction((r, ct) => CommandGuard.Run(r, async () =>
        {
            // Read first: a bad schema is one clear error before the model loads.
            var schema = r.GetValue(jsonSchema) is { } schemaFile ? JsonSchemaFile.Read(schemaFile) : (JsonElement?)null;
            using var host = CliHost.Open(r);
            var definition = host.LoadAgents().Get(r.GetValue(agent)!);
            if (schema is { } s) definition = definition with { Output = new AgentOutputFormat(AgentOutputKind.Json, JsonNode.Parse(s.GetRawText())!.AsObject()) };
            await using var session = host.CreateRunner().CreateSession(definition);
            var view = r.GetValue(json)
                ? (IRunView)new JsonLinesView(r.InvocationConfiguration.Output)
                : new TerminalView(r.InvocationConfiguration.Output, r.InvocationConfiguration.Error, ViewFlags.Read(r, host.LoadTime));
            var events = session.SendAsync(r.GetValue(task)!, ct);
            if (r.GetValue(transcript) is not { } file) return ExitCode(await AgentDrive.Show(events, view, ct), r);
            await using var writer = new StreamWriter(file);
            return ExitCode(await AgentDrive.Show(events.WriteTo(writer, ct), view, ct), r);
        }));
        return command;
    }

    private static int ExitCode(AgentEvent.RunCompleted completed, ParseResult r)
    {
        if (completed.Outcome == AgentRunOutcome.Answered) return 0;
        r.InvocationConfiguration.Error.WriteLine($"error: {completed.Outcome}: {TerminalText.Escape(completed.Error ?? "")}");
        return 2;
    }
}
