using System.CommandLine;
using System.Text.Json;
using GptOss.Cli.Commands;
using GptOss.Harmony;

namespace GptOss.Cli.Tests;

/// <summary>`gptoss harmony render|parse`, invoked in-process with redirected stdin/stdout/stderr.</summary>
public class HarmonyCommandTests
{
    private static Task<(int Exit, string Out, string Err)> Run(string stdin, params string[] args) =>
        CommandRun.Invoke([HarmonyCommands.Create(() => new StringReader(stdin))], ["harmony", .. args]);

    private const string Conversation = """
        {"messages": [
          {"role": "user", "content": "What is 2 + 2?"},
          {"role": "assistant", "content": "Simple.", "channel": "analysis"},
          {"role": "assistant", "content": "4", "channel": "final"},
          {"role": "user", "content": "And 3 + 3?"}
        ], "next_turn_role": "assistant", "auto_drop_analysis": true}
        """;

    [Fact]
    public async Task RenderPrintsDecodedTextWithAnalysisDropped()
    {
        var (exit, output, error) = await Run(Conversation, "render");
        Assert.Equal(0, exit);
        Assert.Equal("", error);
        Assert.Equal(
            "<|start|>user<|message|>What is 2 + 2?<|end|><|start|>assistant<|channel|>final<|message|>4<|end|><|start|>user<|message|>And 3 + 3?<|end|><|start|>assistant\n",
            output.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task RenderKeepsAnalysisWhenAsked()
    {
        var (exit, output, _) = await Run(Conversation.Replace("\"auto_drop_analysis\": true", "\"auto_drop_analysis\": false"), "render");
        Assert.Equal(0, exit);
        Assert.Contains("<|channel|>analysis<|message|>Simple.<|end|>", output);
    }

    [Fact]
    public async Task RenderTokensMatchesTheRenderer()
    {
        var (exit, output, _) = await Run(Conversation, "render", "--format", "tokens");
        Assert.Equal(0, exit);
        var request = HarmonyJson.DeserializeConversation(Conversation);
        var expected = new HarmonyRenderer().RenderConversationForCompletion(request.Messages, Role.Assistant);
        Assert.Equal(expected, JsonSerializer.Deserialize<List<int>>(output));
        Assert.Equal([HarmonyTokens.Start, 173781], expected.TakeLast(2));
    }

    [Fact]
    public async Task RenderForTrainingEndsWithReturn()
    {
        const string input = """{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"hello","channel":"final"}]}""";
        var (exit, output, _) = await Run(input, "render", "--format", "tokens", "--for-training");
        Assert.Equal(0, exit);
        Assert.Equal(HarmonyTokens.Return, JsonSerializer.Deserialize<List<int>>(output)![^1]);
        var (_, text, _) = await Run(input, "render", "--for-training");
        Assert.EndsWith("<|channel|>final<|message|>hello<|return|>", text.TrimEnd());
    }

    [Fact]
    public async Task RenderReadsAFile()
    {
        string file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, """{"messages":[{"role":"system","content":[{"type":"system_content","model_identity":null,"reasoning_effort":"Low","tools":null,"conversation_start_date":null,"knowledge_cutoff":null,"channel_config":null}]}]}""");
            var (exit, output, _) = await Run("", "render", "--input", file);
            Assert.Equal(0, exit);
            Assert.Equal("<|start|>system<|message|>Reasoning: low<|end|>", output.TrimEnd());
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task ParseTokenIdsAfterAssistantPrompt()
    {
        var tokens = HarmonyTokenizer.Shared.Encode("<|channel|>analysis<|message|>Think.<|end|><|start|>assistant to=functions.f<|channel|>commentary <|constrain|>json<|message|>{\"a\":1}<|call|>", allowSpecial: true);
        var (exit, output, error) = await Run(JsonSerializer.Serialize(tokens), "parse");
        Assert.Equal(0, exit);
        Assert.Equal("", error);
        Assert.Equal(
            """[{"role":"assistant","content":"Think.","channel":"analysis"},{"role":"assistant","recipient":"functions.f","content":"{\"a\":1}","channel":"commentary","content_type":"<|constrain|>json"}]""",
            output.TrimEnd());
    }

    [Fact]
    public async Task ParseTextWithoutRoleRoundTripsRender()
    {
        const string input = """{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"hello","channel":"final"},{"role":"tool","name":"functions.f","recipient":"assistant","content":"{}","channel":"commentary"}]}""";
        var (_, rendered, _) = await Run(input, "render");
        var (exit, output, _) = await Run(rendered, "parse", "--text", "--role", "none", "--strict");
        Assert.Equal(0, exit);
        Assert.Equal(input[("{\"messages\":".Length)..^1], output.TrimEnd());
    }

    [Fact]
    public async Task StrictParseReportsThePositionLenientRecovers()
    {
        const string text = "<|channel|>commentary Hello<|end|>";
        var (exit, output, error) = await Run(text, "parse", "--text", "--strict");
        Assert.Equal(1, exit);
        Assert.Equal("", output);
        Assert.Equal("error: Unexpected EOS while waiting for message header to complete (at token 5)", error.TrimEnd());
        var (lenientExit, lenient, _) = await Run(text, "parse", "--text");
        Assert.Equal(0, lenientExit);
        Assert.Equal("""[{"role":"assistant","content":"Hello","channel":"commentary"}]""", lenient.TrimEnd());
    }

    [Theory]
    [InlineData("", new[] { "render", "--input", "/no/such/file.json" }, "error: input file not found: /no/such/file.json")]
    [InlineData("{\"messages\": [", new[] { "render" }, "error: invalid JSON:")]
    [InlineData("""{"messages":[{"role":"robot","content":"x"}]}""", new[] { "render" }, "error: $.messages[0].role: unknown role \"robot\"")]
    [InlineData("""{"messages":[{"role":"tool","content":"x"}]}""", new[] { "render" }, "error: Tools should have a name!")]
    [InlineData("""{"messages":[],"next_turn_role":"assistant"}""", new[] { "render", "--for-training" }, "error: --for-training renders a finished conversation")]
    [InlineData("""{"messages":[],"next_turn_role":"robot"}""", new[] { "render" }, "error: next_turn_role: unknown role \"robot\"")]
    [InlineData("[200005, 1.5]", new[] { "parse" }, "error: token id at index 1 is not a 32-bit integer: 1.5")]
    [InlineData("{}", new[] { "parse" }, "error: input must be a JSON array of token ids")]
    [InlineData("[200005, 17196, 200008, 19, 200002, 42]", new[] { "parse" }, "error: Unexpected token 42 while expecting start token 200006 (at token 5)")]
    public async Task ErrorsAreOneLineOnStderr(string stdin, string[] args, string expectedStart)
    {
        var (exit, output, error) = await Run(stdin, args);
        Assert.NotEqual(0, exit);
        Assert.Equal("", output);
        Assert.StartsWith(expectedStart, error);
        Assert.Single(error.TrimEnd().Split('\n'));
    }
}
