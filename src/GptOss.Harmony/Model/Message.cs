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
}

/// <summary>A list of messages, as <c>{"messages": [...]}</c> in harmony's JSON form.</summary>
public sealed record Conversation(IReadOnlyList<Message> Messages);
