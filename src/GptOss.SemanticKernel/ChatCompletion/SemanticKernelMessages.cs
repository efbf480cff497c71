using GptOss.Harmony;
using Microsoft.Extensions.AI;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;
using AI = Microsoft.Extensions.AI;
using SK = Microsoft.SemanticKernel;

namespace GptOss.SemanticKernel;

/// <summary>
/// Semantic Kernel chat messages ↔ Microsoft.Extensions.AI chat messages, keeping what SK's own bridge drops:
/// reasoning (<see cref="ReasoningContent"/> ↔ <see cref="TextReasoningContent"/>) and the harmony message
/// behind each content (carried as <see cref="KernelContent.InnerContent"/> / <see cref="AIContent.RawRepresentation"/>).
/// </summary>
internal static class SemanticKernelMessages
{
    public static List<ChatMessage> ToChatMessages(ChatHistory history) => history.Select(ToChatMessage).ToList();

    public static ChatMessage ToChatMessage(ChatMessageContent message)
    {
        var contents = new List<AIContent>();
        foreach (var item in message.Items)
        {
            contents.Add(item switch
            {
                SK.TextContent t => new AI.TextContent(t.Text ?? "") { RawRepresentation = t.InnerContent as Message },
                ReasoningContent r => new TextReasoningContent(r.Text) { RawRepresentation = r.InnerContent as Message },
                SK.FunctionCallContent c => new AI.FunctionCallContent(
                    c.Id ?? "", QualifiedName(c.PluginName, c.FunctionName), c.Arguments?.ToDictionary(a => a.Key, a => a.Value))
                {
                    RawRepresentation = c.InnerContent as Message,
                },
                SK.FunctionResultContent r => new AI.FunctionResultContent(r.CallId ?? "", r.Result),
                _ => throw new ArgumentException(
                    $"gpt-oss reads text only: a {message.Role} message holds {item.GetType().Name}.", nameof(message)),
            });
        }
        return new ChatMessage(ToChatRole(message.Role), contents) { AuthorName = message.AuthorName };
    }

    public static ChatMessageContent ToChatMessageContent(ChatMessage message, Kernel? kernel, string modelId)
    {
        var items = new ChatMessageContentItemCollection();
        foreach (var content in message.Contents)
        {
            KernelContent? item = content switch
            {
                AI.TextContent t => new SK.TextContent(t.Text) { InnerContent = t.RawRepresentation },
                TextReasoningContent r => new ReasoningContent(r.Text) { InnerContent = r.RawRepresentation },
                AI.FunctionCallContent c => ToFunctionCall(c, kernel),
                AI.FunctionResultContent r => new SK.FunctionResultContent(callId: r.CallId, result: r.Result),
                _ => null,
            };
            if (item is not null) items.Add(item);
        }
        // SK reads Content from the first text item only: a preamble and an answer in one reply become one text.
        if (items.OfType<SK.TextContent>().Skip(1).Any())
        {
            var texts = items.OfType<SK.TextContent>().ToList();
            items.Insert(items.IndexOf(texts[0]), new SK.TextContent(string.Concat(texts.Select(t => t.Text))));
            foreach (var t in texts) items.Remove(t);
        }
        return new ChatMessageContent(ToAuthorRole(message.Role), items, modelId) { AuthorName = message.AuthorName };
    }

    public static StreamingChatMessageContent ToStreamingContent(ChatResponseUpdate update, Kernel? kernel, string modelId)
    {
        var items = new StreamingKernelContentItemCollection();
        foreach (var content in update.Contents)
        {
            StreamingKernelContent? item = content switch
            {
                AI.TextContent t => new StreamingTextContent(t.Text),
                TextReasoningContent r => new StreamingReasoningContent(r.Text),
                AI.FunctionCallContent c => new StreamingFunctionCallUpdateContent(
                    c.CallId, c.Name, System.Text.Json.JsonSerializer.Serialize(c.Arguments, KernelFunctionTools.CompactJson)),
                _ => null,
            };
            if (item is not null) items.Add(item);
        }
        var streaming = new StreamingChatMessageContent(ToAuthorRole(update.Role ?? ChatRole.Assistant), null)
        {
            Items = items,
            ModelId = modelId,
            InnerContent = update,
        };
        if (update.Contents.OfType<UsageContent>().FirstOrDefault() is { } usage)
        {
            streaming.Metadata = new Dictionary<string, object?> { ["Usage"] = usage.Details };
        }
        return streaming;
    }

    private static SK.FunctionCallContent ToFunctionCall(AI.FunctionCallContent call, Kernel? kernel)
    {
        var (plugin, function) = SplitName(call.Name, kernel);
        return new SK.FunctionCallContent(function, plugin, call.CallId, call.Arguments is null ? null : new KernelArguments(call.Arguments))
        {
            InnerContent = call.RawRepresentation,
            Exception = call.Exception,
        };
    }

    // The harmony/M.E.AI name is Plugin_Function; plugin names may hold underscores, so ask the kernel first.
    private static (string? Plugin, string Function) SplitName(string name, Kernel? kernel)
    {
        if (kernel is not null && KernelFunctionTools.Find(kernel, name) is { } f) return (f.PluginName, f.Name);
        var cut = name.IndexOf('_');
        return cut > 0 ? (name[..cut], name[(cut + 1)..]) : (null, name);
    }

    private static string QualifiedName(string? plugin, string function) =>
        string.IsNullOrEmpty(plugin) ? function : $"{plugin}_{function}";

    private static ChatRole ToChatRole(AuthorRole role) =>
        role == AuthorRole.User ? ChatRole.User
        : role == AuthorRole.Assistant ? ChatRole.Assistant
        : role == AuthorRole.Tool ? ChatRole.Tool
        : role == AuthorRole.System || role == AuthorRole.Developer ? ChatRole.System
        : throw new ArgumentException($"Author role '{role}' has no harmony equivalent.");

    private static AuthorRole ToAuthorRole(ChatRole role) =>
        role == ChatRole.User ? AuthorRole.User
        : role == ChatRole.Tool ? AuthorRole.Tool
        : role == ChatRole.System ? AuthorRole.System
        : AuthorRole.Assistant;
}
