namespace GptOss.Harmony;

/// <summary>
/// Renders harmony messages and conversations to o200k_harmony token ids, byte-identical to openai/harmony v0.0.8.
/// Structural tokens are special ids; every text (headers, contents) is encoded as ordinary text.
/// </summary>
public sealed class HarmonyRenderer(HarmonyTokenizer? tokenizer = null)
{
    private const string ConstrainMarker = "<|constrain|>";

    private readonly HarmonyTokenizer _tokenizer = tokenizer ?? HarmonyTokenizer.Shared;

    public HarmonyTokenizer Tokenizer => _tokenizer;

    /// <summary>One message, as it appears inside a conversation (no analysis dropping).</summary>
    public List<int> Render(Message message, RenderOptions? options = null)
    {
        var tokens = new List<int>();
        RenderInto(message, tokens, options ?? new RenderOptions());
        return tokens;
    }

    /// <summary>The messages back to back. A null <paramref name="config"/> means the defaults (analysis dropping on).</summary>
    public List<int> RenderConversation(IEnumerable<Message> messages, RenderConversationConfig? config = null)
    {
        var tokens = new List<int>();
        RenderConversationInto(messages.ToList(), tokens, config ?? new RenderConversationConfig());
        return tokens;
    }

    /// <summary>The conversation, then <c>&lt;|start|&gt;</c> and the next role: the prompt the model continues.</summary>
    public List<int> RenderConversationForCompletion(IEnumerable<Message> messages, Role nextTurnRole, RenderConversationConfig? config = null)
    {
        var tokens = RenderConversation(messages, config);
        tokens.Add(HarmonyTokens.Start);
        tokens.AddRange(_tokenizer.EncodeOrdinary(RoleWord(nextTurnRole)));
        return tokens;
    }

    /// <summary>As <see cref="RenderConversation"/>, but a trailing assistant <c>final</c> message ends with <c>&lt;|return|&gt;</c>.</summary>
    public List<int> RenderConversationForTraining(IEnumerable<Message> messages, RenderConversationConfig? config = null)
    {
        var list = messages.ToList();
        var tokens = RenderConversation(list, config);
        if (list.Count > 0 && list[^1] is { Author.Role: Role.Assistant, Channel: "final" } && tokens.Count > 0)
        {
            tokens[^1] = HarmonyTokens.Return;
        }
        return tokens;
    }

    /// <summary>The role as harmony writes it in headers and JSON (<c>assistant</c>, <c>tool</c>, ...).</summary>
    public static string RoleWord(Role role) => role switch
    {
        Role.System => "system",
        Role.Developer => "developer",
        Role.User => "user",
        Role.Assistant => "assistant",
        Role.Tool => "tool",
        _ => throw new HarmonyRenderException($"Unknown role {(int)role}."),
    };

    private void RenderConversationInto(List<Message> messages, List<int> tokens, RenderConversationConfig config)
    {
        var options = new RenderOptions
        {
            ConversationHasFunctionTools = messages.Any(m => m.Content.OfType<DeveloperContent>().Any(
                d => d.Tools is not null && d.Tools.TryGetValue("functions", out var ns) && ns.Tools.Count > 0)),
        };
        bool lastAssistantIsFinal = messages.LastOrDefault(m => m.Author.Role == Role.Assistant)?.Channel == "final";
        int firstFinal = messages.FindIndex(m => m.Channel == "final");
        bool dropAnalysis = config.AutoDropAnalysis && lastAssistantIsFinal && firstFinal >= 0;

        for (int i = 0; i < messages.Count; i++)
        {
            if (dropAnalysis && i < firstFinal && messages[i].Channel == "analysis") continue;
            RenderInto(messages[i], tokens, options);
        }
    }

    private void RenderInto(Message message, List<int> tokens, RenderOptions options)
    {
        ArgumentNullException.ThrowIfNull(message);
        tokens.Add(HarmonyTokens.Start);

        if (message.Author.Role == Role.Tool)
        {
            Text(tokens, message.Author.Name ?? throw new HarmonyRenderException("Tools should have a name!"));
        }
        else
        {
            Text(tokens, RoleWord(message.Author.Role));
            if (message.Author.Name is not null) Text(tokens, ":" + message.Author.Name);
        }

        if (message.Recipient is not null && message.Recipient != "all")
        {
            Text(tokens, " to=" + message.Recipient);
        }

        if (message.Channel is not null)
        {
            tokens.Add(HarmonyTokens.Channel);
            Text(tokens, message.Channel);
        }

        if (message.ContentType is not null)
        {
            if (message.ContentType.StartsWith(ConstrainMarker, StringComparison.Ordinal))
            {
                Text(tokens, " ");
                tokens.Add(HarmonyTokens.Constrain);
                Text(tokens, message.ContentType[ConstrainMarker.Length..]);
            }
            else
            {
                Text(tokens, " " + message.ContentType);
            }
        }

        tokens.Add(HarmonyTokens.Message);
        foreach (var content in message.Content)
        {
            switch (content)
            {
                case TextContent text:
                    Text(tokens, text.Text);
                    break;
                case SystemContent system when message.Author.Role == Role.System:
                    Text(tokens, SystemContentTemplate(system, options));
                    break;
                case DeveloperContent developer when message.Author.Role == Role.Developer:
                    Text(tokens, DeveloperContentTemplate(developer));
                    break;
                case SystemContent or DeveloperContent:
                    throw new HarmonyRenderException($"{content.GetType().Name} may only appear in {(content is SystemContent ? "system" : "developer")} messages, found in {message.Author.Role}");
                default:
                    throw new HarmonyRenderException($"Unsupported content type {content?.GetType().Name ?? "null"}.");
            }
        }

        tokens.Add(message.Author.Role == Role.Assistant && message.Recipient is not null ? HarmonyTokens.Call : HarmonyTokens.End);
    }

    private void Text(List<int> tokens, string text)
    {
        if (text.Length > 0) tokens.AddRange(_tokenizer.EncodeOrdinary(text));
    }

    private static string SystemContentTemplate(SystemContent system, RenderOptions options)
    {
        var sections = new List<string>();
        var top = new List<string>();
        if (system.ModelIdentity is not null) top.Add(system.ModelIdentity);
        if (system.KnowledgeCutoff is not null) top.Add($"Knowledge cutoff: {system.KnowledgeCutoff}");
        if (system.ConversationStartDate is not null) top.Add($"Current date: {system.ConversationStartDate}");
        if (top.Count > 0) sections.Add(string.Join("\n", top));

        if (system.ReasoningEffort is { } effort)
        {
            sections.Add($"Reasoning: {effort.ToString().ToLowerInvariant()}");
        }

        if (system.Tools is { Count: > 0 } tools)
        {
            sections.Add(ToolsSectionTemplate.Render(tools));
        }

        if (system.ChannelConfig is { ValidChannels.Count: > 0 } channels)
        {
            string header = $"# Valid channels: {string.Join(", ", channels.ValidChannels)}.";
            if (channels.ChannelRequired) header += " Channel must be included for every message.";
            if (options.ConversationHasFunctionTools) header += "\nCalls to these tools must go to the commentary channel: 'functions'.";
            sections.Add(header);
        }
        return string.Join("\n\n", sections);
    }

    private static string DeveloperContentTemplate(DeveloperContent developer)
    {
        var sections = new List<string>();
        if (developer.Instructions is not null)
        {
            sections.Add("# Instructions");
            sections.Add(developer.Instructions);
        }
        if (developer.Tools is { Count: > 0 } tools)
        {
            sections.Add(ToolsSectionTemplate.Render(tools));
        }
        return string.Join("\n\n", sections);
    }
}
