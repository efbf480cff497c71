using System.Text;

namespace GptOss.Harmony;

/// <summary>
/// UTF-8 validation with Rust's <c>str::from_utf8</c> error semantics (valid prefix length, and the length of
/// the invalid sequence or "incomplete at the end"), which the streaming parser's deltas depend on.
/// </summary>
internal static class Utf8Validation
{
    /// <summary>Returns the length of the valid prefix; <paramref name="errorLength"/> is 0 when all is valid,
    /// -1 when the input ends inside a sequence, else the number of bytes to replace by one U+FFFD.</summary>
    public static int ValidPrefix(ReadOnlySpan<byte> bytes, out int errorLength)
    {
        int i = 0;
        while (i < bytes.Length)
        {
            byte b = bytes[i];
            if (b < 0x80) { i++; continue; }
            int width = b switch { >= 0xC2 and <= 0xDF => 2, >= 0xE0 and <= 0xEF => 3, >= 0xF0 and <= 0xF4 => 4, _ => 0 };
            if (width == 0) { errorLength = 1; return i; }
            for (int k = 1; k < width; k++)
            {
                if (i + k >= bytes.Length) { errorLength = -1; return i; }
                byte c = bytes[i + k];
                bool ok = k == 1 ? SecondByteOk(b, c) : c is >= 0x80 and <= 0xBF;
                if (!ok) { errorLength = k; return i; }
            }
            i += width;
        }
        errorLength = 0;
        return i;
    }

    private static bool SecondByteOk(byte first, byte second) => first switch
    {
        0xE0 => second is >= 0xA0 and <= 0xBF,
        0xED => second is >= 0x80 and <= 0x9F,
        0xF0 => second is >= 0x90 and <= 0xBF,
        0xF4 => second is >= 0x80 and <= 0x8F,
        _ => second is >= 0x80 and <= 0xBF,
    };

    public static bool IsValid(ReadOnlySpan<byte> bytes) => ValidPrefix(bytes, out int e) == bytes.Length && e == 0;

    /// <summary>Rust's <c>String::from_utf8_lossy</c>: every maximal invalid subpart becomes one U+FFFD.</summary>
    public static string DecodeLossy(ReadOnlySpan<byte> bytes)
    {
        var sb = new StringBuilder(bytes.Length);
        while (!bytes.IsEmpty)
        {
            int valid = ValidPrefix(bytes, out int error);
            sb.Append(Encoding.UTF8.GetString(bytes[..valid]));
            if (error == 0) break;
            sb.Append('\uFFFD');
            bytes = bytes[(valid + (error < 0 ? bytes.Length - valid : error))..];
        }
        return sb.ToString();
    }
}
