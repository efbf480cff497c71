namespace GptOss.Harmony;

/// <summary>
/// One harmony message: author, optional recipient (<c>functions.x</c>, <c>python</c>, <c>assistant</c>),
/// optional channel (<c>analysis</c>, <c>commentary</c>, <c>final</c>), optional content type
/// (<c>&lt;|constrain|&gt;json</c>) and its contents.
/// </summary>
public sealed record Message(Author Author, IReadOnlyList<Content> Content)
{
    public string? Recipient { get; init; }
    public string? Channel { get; init; }
    public string? ContentType { get; init; }

    public static Message FromRole(Role role, string text) => new(new Author(role), [new TextContent(text)]);

    public static Message FromRole(Role role, Content content) => new(new Author(role), [content]);

    public static Message FromAuthor(Author author, string text) => new(author, [new TextContent(text)]);

    /// <summary>The concatenated text of every <see cref="TextContent"/> part.</summary>
    public string Text => string.Concat(Content.OfType<TextContent>().Select(c => c.Text));

    /// <summary>Whether the message is addressed to a tool (<c>functions.x</c>, <c>python</c>), not to everyone or back to the assistant.</summary>
    public bool IsToolCall => IsToolRecipient(Recipient);

    /// <summary>Whether <paramref name="recipient"/> names a tool (not <c>all</c>, not <c>assistant</c>).</summary>
    public static bool IsToolRecipient(string? recipient) => recipient is { Length: > 0 } r && r != "all" && r != "assistant";

    public Message WithChannel(string? channel) => this with { Channel = channel };
    public Message WithRecipient(string? recipient) => this with { Recipient = recipient };
    public Message WithContentType(string? contentType) => this with { ContentType = contentType };

    public bool Equals(Message? other) =>
        other is not null && Author == other.Author && Recipient == other.Recipient && Channel == other.Channel
        && ContentType == other.ContentType && Content.SequenceEqual(other.Content);

    public override int GetHashCode() => HashCode.Combine(Author, Recipient, Channel, ContentType, Content.Count);
}

/// <summary>A list of messages, as <c>{"messages": [...]}</c> in harmony's JSON form.</summary>
public sealed record Conversation(IReadOnlyList<Message> Messages)
{
    public bool Equals(Conversation? other) => other is not null && Messages.SequenceEqual(other.Messages);

    public override int GetHashCode() => Messages.Count;
}
