using System.Text;

namespace GptOss.Harmony;

/// <summary>A parsed message header: author, recipient, channel and content type.</summary>
internal sealed record MessageHeader(Author Author, string? Recipient, string? Channel, string? ContentType)
{
    private const string ChannelMarker = "<|channel|>";
    private const string ConstrainMarker = "<|constrain|>";
    private static readonly char[] AsciiWhitespace = [' ', '\t', '\n', '\f', '\r'];

    /// <summary>
    /// openai/harmony's <c>parse_header_from_string</c>. With <paramref name="parseRecipientAndType"/> the last words
    /// become recipient / content type and <paramref name="remaining"/> holds any words left over (an error for the
    /// caller); without it, every word after the role is <paramref name="remaining"/> (malformed-message recovery).
    /// <paramref name="lenient"/> first repairs what models are known to get wrong (see <see cref="Repair"/>).
    /// Returns null with the reference's message in <paramref name="error"/> when the header is malformed.
    /// </summary>
    public static MessageHeader? TryParse(string header, Role? role, bool parseRecipientAndType, bool lenient, out string? remaining, out string? error)
    {
        remaining = null;
        error = null;
        if (lenient) header = Repair(header);

        string? channel = null;
        int marker = header.IndexOf(ChannelMarker, StringComparison.Ordinal);
        if (marker >= 0)
        {
            string after = header[(marker + ChannelMarker.Length)..];
            int end = 0;
            while (end < after.Length && !char.IsWhiteSpace(after[end]) && after[end] != '<') end++;
            if (end == 0)
            {
                error = "channel marker present but no channel value found in header";
                return null;
            }
            channel = after[..end];
            header = header[..marker] + after[end..];
        }

        header = header.Trim();
        if (header.Contains(ConstrainMarker, StringComparison.Ordinal))
        {
            header = header.Replace(ConstrainMarker, " " + ConstrainMarker, StringComparison.Ordinal).Trim();
        }

        var parts = header.Split(AsciiWhitespace, StringSplitOptions.RemoveEmptyEntries).ToList();

        string? roleWord = null;
        Role resolved;
        if (role is { } known)
        {
            resolved = known;
        }
        else
        {
            if (parts.Count == 0)
            {
                error = "message header did not contain a role";
                return null;
            }
            roleWord = parts[0];
            if (TryParseRole(roleWord) is { } parsed)
            {
                resolved = parsed;
            }
            else if (parts.Count > 1 || parts[0].StartsWith("to=", StringComparison.Ordinal))
            {
                // An unknown first word followed by more (or a recipient) is a tool's name.
                parts.RemoveAt(0);
                resolved = Role.Tool;
            }
            else
            {
                error = $"Unknown role: {roleWord}";
                return null;
            }
        }

        if (parts.Count > 0 && parts[0] == HarmonyRenderer.RoleWord(resolved)) parts.RemoveAt(0);

        string? recipient = null;
        string? contentType = null;
        if (parseRecipientAndType && parts.Count > 0)
        {
            int count = parts.Count;
            string last = Pop(parts);
            if (last.StartsWith("to=", StringComparison.Ordinal))
            {
                recipient = last[3..];
            }
            else if (count == 1)
            {
                recipient = last; // a lone bare word is a recipient
            }
            else
            {
                contentType = last;
                if (parts.Count > 0)
                {
                    string raw = Pop(parts);
                    recipient = raw.StartsWith("to=", StringComparison.Ordinal) ? raw[3..] : raw;
                }
            }
        }
        remaining = parts.Count > 0 ? string.Join(" ", parts) : null;

        var author = resolved == Role.Tool ? new Author(Role.Tool, roleWord) : new Author(resolved);
        return new MessageHeader(author, recipient, channel, contentType);
    }

    /// <summary>
    /// Lenient repairs, applied before the reference parsing: a second <c>&lt;|channel|&gt;X</c> (models sometimes
    /// repeat the channel after the recipient) is removed, and whitespace after <c>&lt;|constrain|&gt;</c> is dropped
    /// so <c>to=functions.f &lt;|constrain|&gt; json</c> still gives recipient and content type.
    /// </summary>
    private static string Repair(string header)
    {
        int first = header.IndexOf(ChannelMarker, StringComparison.Ordinal);
        if (first >= 0)
        {
            int next;
            while ((next = header.IndexOf(ChannelMarker, first + ChannelMarker.Length, StringComparison.Ordinal)) >= 0)
            {
                int end = next + ChannelMarker.Length;
                while (end < header.Length && !char.IsWhiteSpace(header[end]) && header[end] != '<') end++;
                header = header[..next] + " " + header[end..];
            }
        }
        var sb = new StringBuilder(header.Length);
        for (int i = 0; i < header.Length; i++)
        {
            sb.Append(header[i]);
            if (sb.Length >= ConstrainMarker.Length && header.AsSpan(0, i + 1).EndsWith(ConstrainMarker, StringComparison.Ordinal))
            {
                while (i + 1 < header.Length && char.IsWhiteSpace(header[i + 1])) i++;
            }
        }
        return sb.ToString();
    }

    private static string Pop(List<string> parts)
    {
        string last = parts[^1];
        parts.RemoveAt(parts.Count - 1);
        return last;
    }

    public static Role? TryParseRole(string word) => word switch
    {
        "system" => Role.System,
        "developer" => Role.Developer,
        "user" => Role.User,
        "assistant" => Role.Assistant,
        "tool" => Role.Tool,
        _ => null,
    };
}
