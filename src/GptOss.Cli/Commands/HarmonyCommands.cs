using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using GptOss.Harmony;

namespace GptOss.Cli.Commands;

/// <summary>
/// `gptoss harmony render|parse`: harmony conversations (openai/harmony's serde JSON) to tokens and back.
/// Errors: exit code 1 and one line on stderr.
/// </summary>
internal static class HarmonyCommands
{
    /// <param name="standardInput">Where input comes from without <c>--input</c> (tests pass their own).</param>
    public static Command Create(Func<TextReader>? standardInput = null)
    {
        var stdin = standardInput ?? (() => Console.In);
        var command = new Command("harmony", "Render and parse the harmony chat format.");
        command.Subcommands.Add(CreateRender(stdin));
        command.Subcommands.Add(CreateParse(stdin));
        return command;
    }

    private static Option<string?> InputOption() => new("--input") { Description = "Read from FILE instead of stdin." };

    private static Command CreateRender(Func<TextReader> stdin)
    {
        var input = InputOption();
        var format = new Option<string>("--format") { Description = "text (decoded, special tokens visible) or tokens (JSON array of ids).", DefaultValueFactory = _ => "text" };
        format.AcceptOnlyFromAmong("text", "tokens");
        var forTraining = new Option<bool>("--for-training") { Description = "Render for training: a trailing final answer ends with <|return|>." };
        var command = new Command("render",
            "Render {\"messages\":[...], \"next_turn_role\": \"assistant\"|null, \"auto_drop_analysis\": true|false} to harmony.")
        {
            input, format, forTraining,
        };
        command.SetAction((result, _) => Run(result, () =>
        {
            var request = ReadRenderRequest(ReadInput(result.GetValue(input), stdin));
            var renderer = new HarmonyRenderer();
            var config = new RenderConversationConfig { AutoDropAnalysis = request.AutoDropAnalysis };
            List<int> tokens;
            if (result.GetValue(forTraining))
            {
                if (request.NextTurnRole is not null) throw new CliInputException("--for-training renders a finished conversation; remove \"next_turn_role\" from the input.");
                tokens = renderer.RenderConversationForTraining(request.Messages, config);
            }
            else
            {
                tokens = request.NextTurnRole is { } role
                    ? renderer.RenderConversationForCompletion(request.Messages, role, config)
                    : renderer.RenderConversation(request.Messages, config);
            }
            return result.GetValue(format) == "tokens" ? JsonSerializer.Serialize(tokens) : renderer.Tokenizer.Decode(tokens);
        }));
        return command;
    }

    private static Command CreateParse(Func<TextReader> stdin)
    {
        var input = InputOption();
        var role = new Option<string>("--role") { Description = "The role of the prompt's last <|start|>ROLE, or none when the tokens begin with <|start|>.", DefaultValueFactory = _ => "assistant" };
        role.AcceptOnlyFromAmong("system", "developer", "user", "assistant", "tool", "none");
        var text = new Option<bool>("--text") { Description = "The input is raw text containing special tokens (e.g. <|channel|>), not a JSON array of token ids." };
        var strict = new Option<bool>("--strict") { Description = "Reject malformed output exactly as openai/harmony does (default: recover what can be recovered)." };
        var command = new Command("parse", "Parse tokens a model produced after <|start|>ROLE into harmony messages (JSON).")
        {
            input, role, text, strict,
        };
        command.SetAction((result, _) => Run(result, () =>
        {
            string raw = ReadInput(result.GetValue(input), stdin);
            IReadOnlyList<int> tokens = result.GetValue(text)
                ? HarmonyTokenizer.Shared.Encode(raw.TrimEnd('\r', '\n'), allowSpecial: true)
                : ReadTokenIds(raw);
            Role? startRole = result.GetValue(role) is "none" or null ? null : ParseRole(result.GetValue(role)!, "--role");
            var messages = StreamableParser.ParseMessagesFromCompletionTokens(tokens, startRole, result.GetValue(strict));
            return HarmonyJson.Serialize(messages);
        }));
        return command;
    }

    /// <summary>Runs a command body: its result goes to stdout, any expected failure to stderr as one line.</summary>
    private static Task<int> Run(ParseResult result, Func<string> body)
    {
        var output = result.InvocationConfiguration.Output;
        var error = result.InvocationConfiguration.Error;
        try
        {
            output.WriteLine(body());
            return Task.FromResult(0);
        }
        catch (Exception e) when (e is CliInputException or JsonException or HarmonyParseException or HarmonyRenderException or IOException or UnauthorizedAccessException)
        {
            // HarmonyJson's own errors start with the JSON path ($...); others come from the JSON reader.
            string message = e is JsonException && !e.Message.StartsWith('$') ? $"invalid JSON: {e.Message}" : e.Message;
            error.WriteLine($"error: {message.ReplaceLineEndings(" ")}");
            return Task.FromResult(1);
        }
    }

    private static string ReadInput(string? file, Func<TextReader> stdin)
    {
        if (file is null) return stdin().ReadToEnd();
        if (!File.Exists(file)) throw new CliInputException($"input file not found: {file}");
        return File.ReadAllText(file);
    }

    private sealed record RenderRequest(IReadOnlyList<Message> Messages, Role? NextTurnRole, bool AutoDropAnalysis);

    private static RenderRequest ReadRenderRequest(string json)
    {
        var root = JsonNode.Parse(json) as JsonObject
            ?? throw new CliInputException("input must be a JSON object {\"messages\": [...], \"next_turn_role\": ..., \"auto_drop_analysis\": ...}");
        var messages = HarmonyJson.DeserializeConversation(root.ToJsonString()).Messages;
        Role? next = root["next_turn_role"] switch
        {
            null => null,
            JsonValue v when v.GetValueKind() == JsonValueKind.String => ParseRole(v.GetValue<string>(), "next_turn_role"),
            var other => throw new CliInputException($"next_turn_role must be a role name or null, found {other.ToJsonString()}"),
        };
        bool autoDrop = root["auto_drop_analysis"] switch
        {
            null => true,
            JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => v.GetValue<bool>(),
            var other => throw new CliInputException($"auto_drop_analysis must be true or false, found {other.ToJsonString()}"),
        };
        return new RenderRequest(messages, next, autoDrop);
    }

    private static Role ParseRole(string word, string field) => word switch
    {
        "system" => Role.System,
        "developer" => Role.Developer,
        "user" => Role.User,
        "assistant" => Role.Assistant,
        "tool" => Role.Tool,
        _ => throw new CliInputException($"{field}: unknown role \"{word}\" (expected system, developer, user, assistant or tool)"),
    };

    private static List<int> ReadTokenIds(string json)
    {
        if (JsonNode.Parse(json) is not JsonArray array) throw new CliInputException("input must be a JSON array of token ids (use --text for raw text)");
        var ids = new List<int>(array.Count);
        for (int i = 0; i < array.Count; i++)
        {
            if (array[i] is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue(out int id))
            {
                ids.Add(id);
            }
            else
            {
                throw new CliInputException($"token id at index {i} is not a 32-bit integer: {array[i]?.ToJsonString() ?? "null"}");
            }
        }
        return ids;
    }

    /// <summary>Bad command input (file, JSON shape, option value), reported as one line.</summary>
    private sealed class CliInputException(string message) : Exception(message);
}
