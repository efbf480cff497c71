using System.Text;

namespace GptOss.Cli.Views;

/// <summary>
/// Text from the model or a tool made safe for a terminal: control characters (ESC starting OSC 52 clipboard writes,
/// title changes, links, clear-screen; CR; DEL; C1) and bidirectional overrides are shown as <c>\x1B</c>-style escapes
/// instead of being obeyed. Line feeds and tabs pass.
/// </summary>
internal static class TerminalText
{
    public static string Escape(string text)
    {
        if (!text.Any(IsUnsafe)) return text;
        var escaped = new StringBuilder(text.Length + 16);
        foreach (var c in text)
        {
            if (IsUnsafe(c)) escaped.Append(c <= 0xFF ? $"\\x{(int)c:X2}" : $"\\u{(int)c:X4}");
            else escaped.Append(c);
        }
        return escaped.ToString();
    }

    private static bool IsUnsafe(char c) =>
        c is not ('\n' or '\t') && (char.IsControl(c) || c is >= '\u202A' and <= '\u202E' or >= '\u2066' and <= '\u2069');
}
