using System.Text;

namespace GptOss.Harmony;

/// <summary>
/// Parses harmony token by token, as a model generates it: finished <see cref="Messages"/>, the current header
/// fields and content, and the text each token added (<see cref="LastContentDelta"/>). Strict mode behaves exactly
/// like openai/harmony's <c>StreamableParser</c>; lenient mode (<c>strict: false</c>) additionally recovers
/// malformed output (see <see cref="MessageHeader"/> and the remarks).
/// </summary>
/// <remarks>
/// The only exception any token sequence can raise is <see cref="HarmonyParseException"/>. Work per token is
/// bounded: headers are limited to <see cref="MaxHeaderTokens"/> tokens, and once an unknown id appears in a
/// message's content the rest of that message is counted, not decoded (it ends as a single U+FFFD).
/// Lenient mode, beyond the reference's non-strict mode: a stream that ends inside a header still yields the
/// malformed message (as a stop token would); a repeated <c>&lt;|channel|&gt;</c> or whitespace after
/// <c>&lt;|constrain|&gt;</c> in a header is repaired.
/// </remarks>
public sealed class StreamableParser
{
    /// <summary>Longest header accepted (real headers are a few tokens; this bounds memory and work).</summary>
    public const int MaxHeaderTokens = 4096;

    private readonly HarmonyTokenizer _tokenizer;
    private readonly bool _strict;
    private readonly List<int> _tokens = [];
    private readonly List<Message> _messages = [];
    private readonly List<int> _headerTokens = [];
    private readonly StringBuilder _content = new();
    private readonly PendingBytes _pending = new();
    private Role? _nextRole;
    private MessageHeader? _header;
    private bool _heldUnknown;

    /// <param name="role">The role already in the prompt (<c>&lt;|start|&gt;assistant</c>): parsing starts inside its
    /// header. Null: parsing expects <c>&lt;|start|&gt;</c> first.</param>
    public StreamableParser(Role? role, bool strict = true, HarmonyTokenizer? tokenizer = null)
    {
        _tokenizer = tokenizer ?? HarmonyTokenizer.Shared;
        _strict = strict;
        _nextRole = role;
        State = role is null ? StreamState.ExpectStart : StreamState.Header;
    }

    public StreamState State { get; private set; }

    /// <summary>Every finished message so far.</summary>
    public IReadOnlyList<Message> Messages => _messages;

    /// <summary>Every token fed so far.</summary>
    public IReadOnlyList<int> Tokens => _tokens;

    /// <summary>The current message's role once its header is parsed, else the role given at construction (first message only).</summary>
    public Role? CurrentRole => State == StreamState.Content ? _header!.Author.Role : _nextRole;

    public string? CurrentChannel => State == StreamState.Content ? _header!.Channel : null;

    public string? CurrentRecipient => State == StreamState.Content ? _header!.Recipient : null;

    public string? CurrentContentType => State == StreamState.Content ? _header!.ContentType : null;

    /// <summary>The current message's text so far ("" outside content).</summary>
    public string CurrentContent => State == StreamState.Content ? _content.ToString() : "";

    /// <summary>The text the last token added to the content, or null when it added none (e.g. half a character).</summary>
    public string? LastContentDelta { get; private set; }

    /// <summary>Parses a whole completion: every token, then the end of the stream.</summary>
    public static IReadOnlyList<Message> ParseMessagesFromCompletionTokens(IEnumerable<int> tokens, Role? role, bool strict = true)
    {
        var parser = new StreamableParser(role, strict);
        foreach (int token in tokens) parser.Process(token);
        parser.ProcessEos();
        return parser.Messages;
    }

    public void Process(int token)
    {
        _tokens.Add(token);
        int position = _tokens.Count - 1;
        switch (State)
        {
            case StreamState.ExpectStart:
                if (token != HarmonyTokens.Start)
                {
                    throw new HarmonyParseException($"Unexpected token {token} while expecting start token {HarmonyTokens.Start}", position);
                }
                _headerTokens.Clear();
                State = StreamState.Header;
                break;

            case StreamState.Header:
                if (token == HarmonyTokens.Message)
                {
                    State = StreamState.ExpectStart;
                    _header = ParseHeader(position);
                    _nextRole = null;
                    _content.Clear();
                    State = StreamState.Content;
                }
                else if (!_strict && HarmonyTokens.StopTokens.Contains(token))
                {
                    RecoverHeaderAsMessage(position);
                }
                else
                {
                    if (_headerTokens.Count >= MaxHeaderTokens)
                    {
                        throw new HarmonyParseException($"message header longer than {MaxHeaderTokens} tokens", position);
                    }
                    _headerTokens.Add(token);
                }
                break;

            case StreamState.Content:
                if (HarmonyTokens.StopTokens.Contains(token))
                {
                    CloseMessage();
                }
                else
                {
                    AppendContent(token);
                }
                break;
        }
    }

    /// <summary>The end of the stream: closes a message in progress.</summary>
    public void ProcessEos()
    {
        switch (State)
        {
            case StreamState.Header when _strict:
                throw new HarmonyParseException("Unexpected EOS while waiting for message header to complete", _tokens.Count);
            case StreamState.Header:
                RecoverHeaderAsMessage(_tokens.Count);
                break;
            case StreamState.Content:
                CloseMessage();
                break;
        }
    }

    private void AppendContent(int token)
    {
        if (_heldUnknown || !_tokenizer.IsKnown(token))
        {
            _heldUnknown = true;
            LastContentDelta = null;
            return;
        }
        _pending.Append(_tokenizer.TokenBytes(token));
        string? delta = _pending.TakeDecodable();
        if (delta is not null) _content.Append(delta);
        LastContentDelta = delta;
    }

    private void CloseMessage()
    {
        string text = _content.ToString() + (_heldUnknown ? "\uFFFD" : "") + _pending.Flush();
        var header = _header!;
        _messages.Add(new Message(header.Author, [new TextContent(text)])
        {
            Recipient = header.Recipient,
            Channel = header.Channel,
            ContentType = header.ContentType,
        });
        State = StreamState.ExpectStart;
        LastContentDelta = null;
        _heldUnknown = false;
        _content.Clear();
        _header = null;
    }

    private MessageHeader ParseHeader(int position)
    {
        string text = DecodeHeader(position);
        var header = MessageHeader.TryParse(text, _nextRole, parseRecipientAndType: true, lenient: !_strict, out string? remaining, out string? error)
            ?? throw new HarmonyParseException(error!, position);
        if (remaining is not null)
        {
            throw new HarmonyParseException($"unexpected tokens remaining in message header: Some(\"{remaining.Replace("\\", "\\\\").Replace("\"", "\\\"")}\")", position);
        }
        return header;
    }

    /// <summary>Non-strict: a header closed by a stop token (or the stream's end) without <c>&lt;|message|&gt;</c>. The
    /// first message (role known from the prompt) becomes a message whose text is the header's words; later ones are dropped.</summary>
    private void RecoverHeaderAsMessage(int position)
    {
        if (_nextRole is { } role && _headerTokens.Count > 0)
        {
            string text = DecodeHeader(position);
            var header = MessageHeader.TryParse(text, role, parseRecipientAndType: false, lenient: true, out string? remaining, out string? error)
                ?? throw new HarmonyParseException(error!, position);
            _messages.Add(new Message(header.Author, [new TextContent(remaining ?? "")]) { Channel = header.Channel });
        }
        State = StreamState.ExpectStart;
        _nextRole = null;
        _headerTokens.Clear();
    }

    private string DecodeHeader(int position)
    {
        foreach (int token in _headerTokens)
        {
            if (!_tokenizer.IsKnown(token))
            {
                throw new HarmonyParseException($"could not decode header: Invalid token for decoding: {token}", position);
            }
        }
        byte[] bytes = _tokenizer.DecodeBytes(_headerTokens);
        if (!Utf8Validation.IsValid(bytes))
        {
            throw new HarmonyParseException("could not decode header: Invalid utf-8 sequence", position);
        }
        return Encoding.UTF8.GetString(bytes);
    }
}
