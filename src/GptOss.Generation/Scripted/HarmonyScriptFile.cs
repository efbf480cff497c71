
namespace GptOss.Generation;

/// <summary>
/// Scripted model output for demos and tests (<c>gptoss run --script FILE</c>): harmony completions, one per
/// model call, each written as the model would sample it after <c>&lt;|start|&gt;assistant</c>, special tokens
/// spelled out, e.g.
/// <c>&lt;|channel|&gt;analysis&lt;|message|&gt;...&lt;|end|&gt;&lt;|start|&gt;assistant&lt;|channel|&gt;final&lt;|message|&gt;Done.&lt;|return|&gt;</c>.
/// Two spellings: plain text with the completions separated by lines holding only <c>---</c> (the line break
/// before and after each separator is not part of a completion), or a JSON array of strings (the form
/// <c>gptoss serve --script</c> reads), recognised by its leading <c>[</c>.
/// </summary>
public static class HarmonyScriptFile
{
    public const string Separator = "---";

    public static IReadOnlyList<string> Parse(string text)
    {
        if (text.TrimStart().StartsWith('[')) return ParseJson(text);
        var completions = new List<string>();
        var current = new List<string>();
        foreach (var line in text.ReplaceLineEndings("\n").Split('\n'))
        {
            if (line.TrimEnd() == Separator)
            {
                completions.Add(string.Join('\n', current));
                current.Clear();
            }
            else
            {
                current.Add(line);
            }
        }
        var last = string.Join('\n', current).TrimEnd('\n');
        if (last.Length > 0) completions.Add(last);
        return completions.Count > 0 ? completions : throw new FormatException("the script holds no completions");
    }

    private static string[] ParseJson(string text)
    {
        string?[]? completions;
        try
        {
            completions = System.Text.Json.JsonSerializer.Deserialize<string?[]>(text);
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new FormatException($"not a JSON array of completions (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}): {e.Message}", e);
        }
        return completions is { Length: > 0 } && completions.All(c => c is not null)
            ? completions.Select(c => c!).ToArray()
            : throw new FormatException("expected a non-empty JSON array of harmony completion strings");
    }

    /// <summary>A generator replaying the completions of <paramref name="file"/> in order.</summary>
    public static ScriptedTokenGenerator Load(string file)
    {
        if (!File.Exists(file)) throw new FileNotFoundException($"script file not found: {file}", file);
        try
        {
            return ScriptedTokenGenerator.FromHarmony([.. Parse(File.ReadAllText(file))]);
        }
        catch (FormatException e)
        {
            throw new FormatException($"{file}: {e.Message}", e);
        }
    }
}
