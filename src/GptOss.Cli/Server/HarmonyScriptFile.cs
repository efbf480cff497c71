using System.Text.Json;
using GptOss.Engine;

namespace GptOss.Cli.Server;

/// <summary>
/// A demo/test model: a JSON file holding an array of harmony completions (special tokens written out),
/// replayed one per generation by a <see cref="ScriptedTokenGenerator"/>.
/// </summary>
internal static class HarmonyScriptFile
{
    /// <exception cref="InvalidDataException">The file is not a JSON array of strings (the message names the file and position).</exception>
    public static ScriptedTokenGenerator Load(string path)
    {
        string[]? scripts;
        try
        {
            scripts = JsonSerializer.Deserialize<string[]>(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException(
                $"{path}: not a JSON array of harmony completions (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}): {e.Message}", e);
        }
        if (scripts is null || scripts.Length == 0 || scripts.Any(s => s is null))
        {
            throw new InvalidDataException($"{path}: expected a non-empty JSON array of harmony completion strings.");
        }
        return ScriptedTokenGenerator.FromHarmony(scripts);
    }
}
