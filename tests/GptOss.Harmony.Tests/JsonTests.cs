using System.Text.Json;
using static GptOss.Harmony.Tests.H;

namespace GptOss.Harmony.Tests;

/// <summary>openai/harmony's serde JSON shape (src/chat.rs), byte for byte, and round trips.</summary>
public class JsonTests
{
    public static TheoryData<Message, string> Shapes => new()
    {
        { Msg(Role.User, "What is 2 + 2?"), """{"role":"user","content":"What is 2 + 2?"}""" },
        { Msg(Role.Assistant, "{\"location\": \"Tokyo\"}").WithChannel("commentary").WithRecipient("functions.get_weather").WithContentType("<|constrain|>json"),
          """{"role":"assistant","recipient":"functions.get_weather","content":"{\"location\": \"Tokyo\"}","channel":"commentary","content_type":"<|constrain|>json"}""" },
        { Message.FromAuthor(new Author(Role.Tool, "functions.f"), "x").WithRecipient("assistant").WithChannel("commentary"),
          """{"role":"tool","name":"functions.f","recipient":"assistant","content":"x","channel":"commentary"}""" },
        { new Message(new Author(Role.User), [new TextContent("a"), new TextContent("b")]),
          """{"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}""" },
        { Message.FromRole(Role.System, new SystemContent()),
          """{"role":"system","content":[{"type":"system_content","model_identity":"You are ChatGPT, a large language model trained by OpenAI.","reasoning_effort":"Medium","tools":null,"conversation_start_date":null,"knowledge_cutoff":"2024-06","channel_config":{"valid_channels":["analysis","commentary","final"],"channel_required":true}}]}""" },
        { Message.FromRole(Role.System, SystemContent.Empty.WithReasoningEffort(ReasoningEffort.High).WithPythonTool()),
          """{"role":"system","content":[{"type":"system_content","model_identity":null,"reasoning_effort":"High","tools":{"python":{"name":"python","description":"Use this tool to execute Python code in your chain of thought. The code will not be shown to the user. This tool should be used for internal reasoning, but not for code that is intended to be visible to the user (e.g. when creating plots, tables, or files).\n\nWhen you send a message containing Python code to python, it will be executed in a stateful Jupyter notebook environment. python will respond with the output of the execution or time out after 120.0 seconds. The drive at '/mnt/data' can be used to save and persist user files. Internet access for this session is UNKNOWN. Depends on the cluster.","tools":[]}},"conversation_start_date":null,"knowledge_cutoff":null,"channel_config":null}]}""" },
        { Message.FromRole(Role.Developer, new DeveloperContent().WithInstructions("Be brief").WithFunctionTools(
              [new ToolDescription("f", "d", Json("""{"type":"object","properties":{"b":{"type":"number","default":1.0},"a":{"type":"string","default":"é\u0001"}}}""")), new ToolDescription("g", "")])),
          """{"role":"developer","content":[{"type":"developer_content","instructions":"Be brief","tools":{"functions":{"name":"functions","description":null,"tools":[{"name":"f","description":"d","parameters":{"type":"object","properties":{"b":{"type":"number","default":1.0},"a":{"type":"string","default":"é\u0001"}}}},{"name":"g","description":"","parameters":null}]}}}]}""" },
        { Msg(Role.User, "tab\t nl\n quote\" backslash\\ emoji 😊 <tag> & 'q' \u007f"),
          "{\"role\":\"user\",\"content\":\"tab\\t nl\\n quote\\\" backslash\\\\ emoji 😊 <tag> & 'q' \u007f\"}" },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void SerializesLikeSerde(Message message, string json)
    {
        Assert.Equal(json, HarmonyJson.Serialize(message));
        Assert.Equal(json, JsonSerializer.Serialize(message, HarmonyJson.Options));
        Assert.Equal(message, HarmonyJson.DeserializeMessage(json));
        Assert.Equal(message, JsonSerializer.Deserialize<Message>(json, HarmonyJson.Options));
    }

    [Fact]
    public void ToolMapsAreWrittenSortedByKey()
    {
        var system = SystemContent.Empty.WithPythonTool().WithBrowserTool();
        string json = HarmonyJson.Serialize(Message.FromRole(Role.System, system));
        Assert.True(json.IndexOf("\"browser\":", StringComparison.Ordinal) < json.IndexOf("\"python\":", StringComparison.Ordinal));
        Assert.Contains("\"default\":-1", json);
        Assert.Contains("\"type\":[\"number\",\"string\"]", json);
    }

    [Fact]
    public void ConversationRoundTrip()
    {
        var conversation = new Conversation(
        [
            Message.FromRole(Role.System, new SystemContent().WithConversationStartDate("2025-06-28").WithBrowserTool().WithPythonTool()),
            Message.FromRole(Role.Developer, new DeveloperContent().WithInstructions("x").WithFunctionTools([new ToolDescription("f", "d", Json("""{"type":"object","properties":{"z":{"type":"integer"},"a":{"oneOf":[{"type":"string"}]}}}"""))])),
            Message.FromAuthor(new Author(Role.User, "alice"), "hi"),
            Msg(Role.Assistant, "thinking").WithChannel("analysis"),
            Msg(Role.Assistant, "{}").WithChannel("commentary").WithRecipient("functions.f").WithContentType("<|constrain|>json"),
            Message.FromAuthor(new Author(Role.Tool, "functions.f"), "{\"ok\":true}").WithRecipient("assistant").WithChannel("commentary"),
        ]);
        string json = HarmonyJson.Serialize(conversation);
        Assert.StartsWith("{\"messages\":[{\"role\":\"system\",", json);
        var back = HarmonyJson.DeserializeConversation(json);
        Assert.Equal(conversation, back);
        Assert.Equal(json, HarmonyJson.Serialize(back));
        Assert.Equal(Renderer.RenderConversation(conversation.Messages), Renderer.RenderConversation(back.Messages));
        Assert.Equal(json, JsonSerializer.Serialize(conversation, HarmonyJson.Options));
    }

    [Fact]
    public void ReadsWhatSerdeAccepts()
    {
        // A single text content in list form, nulls for options, unknown fields ignored; missing system fields are null (not defaults).
        var message = HarmonyJson.DeserializeMessage("""{"role":"assistant","name":null,"content":[{"type":"text","text":"hi"}],"channel":"final","extra":1}""");
        Assert.Equal(Msg(Role.Assistant, "hi").WithChannel("final"), message);
        Assert.Equal("""{"role":"assistant","content":"hi","channel":"final"}""", HarmonyJson.Serialize(message));
        var system = (SystemContent)HarmonyJson.DeserializeMessage("""{"role":"system","content":[{"type":"system_content","reasoning_effort":"Low"}]}""").Content[0];
        Assert.Equal(SystemContent.Empty.WithReasoningEffort(ReasoningEffort.Low), system);
        Assert.Equal(2, HarmonyJson.DeserializeMessages("""[{"role":"user","content":"a"},{"role":"user","content":"b"}]""").Count);
    }

    [Theory]
    [InlineData("""{"content":"x"}""", "$: missing field \"role\"")]
    [InlineData("""{"role":"robot","content":"x"}""", "$.role: unknown role \"robot\"")]
    [InlineData("""{"role":"user"}""", "$: missing field \"content\"")]
    [InlineData("""{"role":"user","content":5}""", "$.content: expected a string or a list of content")]
    [InlineData("""{"role":"user","content":[{"type":"image"}]}""", "$.content[0].type: unknown content type \"image\"")]
    [InlineData("""{"role":"system","content":[{"type":"system_content","reasoning_effort":"low"}]}""", "$.content[0].reasoning_effort: unknown value \"low\"")]
    [InlineData("""{"role":"developer","content":[{"type":"developer_content","tools":{"functions":{"name":"functions"}}}]}""", "$.content[0].tools.functions: missing field \"tools\"")]
    [InlineData("[1]", "$[0]: expected an object")]
    public void MalformedJsonNamesTheField(string json, string message)
    {
        var e = Assert.ThrowsAny<JsonException>(() => json.StartsWith('[') ? HarmonyJson.DeserializeMessages(json)[0] : HarmonyJson.DeserializeMessage(json));
        Assert.StartsWith(message, e.Message);
    }

    [Theory]
    [InlineData("10", "10")]
    [InlineData("-1", "-1")]
    [InlineData("1.0", "1.0")]
    [InlineData("1.50", "1.5")]
    [InlineData("1e21", "1e21")]
    [InlineData("1.5e-7", "1.5e-7")]
    [InlineData("0.001", "0.001")]
    [InlineData("123456789012345678901234", "1.2345678901234569e23")]
    [InlineData("-0.0", "-0.0")]
    [InlineData("100000000000000000.0", "1e17")]
    public void NumbersFormatLikeSerdeJson(string literal, string expected) =>
        Assert.Equal(expected, SerdeJsonWriter.FormatNumber(literal));
}
