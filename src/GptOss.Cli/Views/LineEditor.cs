using System.Text;

namespace GptOss.Cli.Views;

/// <summary>
/// Reads a line from an interactive terminal with editing (←, →, Home, End, Backspace, Delete) and a history that
/// survives sessions (↑, ↓; one line per entry in the history file). Ctrl+D on an empty line is the end of input.
/// </summary>
internal sealed class LineEditor(string historyFile, int keep = 500)
{
    private readonly List<string> _history = File.Exists(historyFile) ? [.. File.ReadAllLines(historyFile).TakeLast(keep)] : [];

    /// <summary><c>$GPTOSS_HOME/chat_history</c>, else <c>~/.gptoss/chat_history</c>.</summary>
    public static string DefaultHistoryFile =>
        Path.Combine(Environment.GetEnvironmentVariable("GPTOSS_HOME") is { Length: > 0 } home ? home
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".gptoss"), "chat_history");

    /// <summary>The next line after <paramref name="prompt"/>, or null at the end of input (Ctrl+D on an empty line).</summary>
    public string? ReadLine(string prompt)
    {
        var line = new StringBuilder();
        int cursor = 0, recalled = _history.Count;
        Console.Write(prompt);
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            switch (key.Key)
            {
                case ConsoleKey.Enter:
                    Console.WriteLine();
                    Remember(line.ToString());
                    return line.ToString();
                case ConsoleKey.D when key.Modifiers.HasFlag(ConsoleModifiers.Control) && line.Length == 0:
                    Console.WriteLine();
                    return null;
                case ConsoleKey.Backspace when cursor > 0:
                    line.Remove(--cursor, 1);
                    break;
                case ConsoleKey.Delete when cursor < line.Length:
                    line.Remove(cursor, 1);
                    break;
                case ConsoleKey.LeftArrow when cursor > 0:
                    cursor--;
                    break;
                case ConsoleKey.RightArrow when cursor < line.Length:
                    cursor++;
                    break;
                case ConsoleKey.Home:
                    cursor = 0;
                    break;
                case ConsoleKey.End:
                    cursor = line.Length;
                    break;
                case ConsoleKey.UpArrow when recalled > 0:
                case ConsoleKey.DownArrow when recalled < _history.Count:
                    recalled += key.Key == ConsoleKey.UpArrow ? -1 : 1;
                    line.Clear().Append(recalled < _history.Count ? _history[recalled] : "");
                    cursor = line.Length;
                    break;
                default:
                    if (key.KeyChar == '\0' || char.IsControl(key.KeyChar)) continue;
                    line.Insert(cursor++, key.KeyChar);
                    break;
            }
            // Redraw: back to the prompt's start, the line, clear what is left, then put the cursor in place.
            Console.Write($"\r{prompt}{line}\u001b[K");
            if (cursor < line.Length) Console.Write($"\u001b[{line.Length - cursor}D");
        }
    }

    private void Remember(string line)
    {
        if (line.Trim().Length == 0 || _history.Count > 0 && _history[^1] == line) return;
        _history.Add(line);
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(historyFile)!);
            File.AppendAllLines(historyFile, [line]);
        }
        catch (IOException)
        {
            // history is a convenience: an unwritable home keeps it for this session only
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
