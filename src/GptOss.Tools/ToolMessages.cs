using GptOss.Harmony;

namespace GptOss.Tools;

/// <summary>Builds result messages the way gpt-oss tools do: author = the called recipient, to the assistant, on the call's channel.</summary>
public static class ToolMessages
{
    public static Message Reply(Message call, string text) =>
        new Message(new Author(Role.Tool, call.Recipient ?? "tool"), [new TextContent(text)])
        {
            Recipient = "assistant",
            Channel = call.Channel,
        };
}
