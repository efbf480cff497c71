using System.Text;

namespace GptOss.Harmony;

/// <summary>
/// Content bytes not yet emitted as text, with openai/harmony's streaming rule: after each token the valid UTF-8
/// prefix is emitted, at most one invalid sequence becomes U+FFFD, and everything after it waits for the next token.
/// </summary>
internal sealed class PendingBytes
{
    private byte[] _buffer = new byte[16];
    private int _start;
    private int _end;

    public bool IsEmpty => _start == _end;

    public void Append(ReadOnlySpan<byte> bytes)
    {
        if (_end + bytes.Length > _buffer.Length)
        {
            int length = _end - _start;
            if (length + bytes.Length > _buffer.Length)
            {
                Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, length + bytes.Length));
            }
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, length);
            _start = 0;
            _end = length;
        }
        bytes.CopyTo(_buffer.AsSpan(_end));
        _end += bytes.Length;
    }

    /// <summary>Takes what this step may emit (null when nothing: the bytes end inside a character).</summary>
    public string? TakeDecodable()
    {
        var pending = _buffer.AsSpan(_start, _end - _start);
        int valid = Utf8Validation.ValidPrefix(pending, out int error);
        string text = Encoding.UTF8.GetString(pending[..valid]);
        _start += valid;
        if (error > 0)
        {
            text += "\uFFFD";
            _start += error;
        }
        if (IsEmpty) Clear();
        return text.Length > 0 ? text : null;
    }

    /// <summary>Everything left, decoded lossily (when a message closes).</summary>
    public string Flush()
    {
        string text = Utf8Validation.DecodeLossy(_buffer.AsSpan(_start, _end - _start));
        Clear();
        return text;
    }

    public void Clear() => _start = _end = 0;
}
