using System.Text.Json.Nodes;
using GptOss.Testing;

namespace GptOss.Harmony.Tests;

internal static class Fixture
{
    public static string Dir(params string[] parts) =>
        Path.Combine([TestPaths.RepoRoot, "tests", "GptOss.Harmony.Tests", "Fixtures", .. parts]);

    /// <summary>An upstream test-data file, read as upstream reads it (CRLF → LF, trailing whitespace trimmed).</summary>
    public static string HarmonyData(string name) =>
        File.ReadAllText(Dir("harmony-test-data", name)).Replace("\r\n", "\n").TrimEnd();

    public static List<int> HarmonyTokenIds(string name) =>
        HarmonyData(name).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToList();
}

internal static class H
{
    public static HarmonyTokenizer Tok => HarmonyTokenizer.Shared;
    public static HarmonyRenderer Renderer { get; } = new();

    public static List<int> Special(string text) => Tok.Encode(text, allowSpecial: true).ToList();

    public static Message Msg(Role role, string text) => Message.FromRole(role, text);

    public static JsonObject Json(string json) => JsonNode.Parse(json)!.AsObject();

    /// <summary>Decoded text, for readable failure messages.</summary>
    public static string Text(IEnumerable<int> tokens) => Tok.Decode(tokens);
}
