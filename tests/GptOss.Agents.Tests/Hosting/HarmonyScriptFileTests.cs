using GptOss.Generation;
namespace GptOss.Agents.Tests.Hosting;

public sealed class HarmonyScriptFileTests
{
    [Fact]
    public void Separated_text_keeps_line_breaks_inside_completions()
    {
        var completions = HarmonyScriptFile.Parse("<|channel|>final<|message|>a\nb<|return|>\n---\nsecond\n");
        Assert.Equal(["<|channel|>final<|message|>a\nb<|return|>", "second"], completions);
    }

    [Fact]
    public void Json_array_is_the_same_script()
    {
        var completions = HarmonyScriptFile.Parse("""  ["first", "<|channel|>final<|message|>x\ny<|return|>"]""");
        Assert.Equal(["first", "<|channel|>final<|message|>x\ny<|return|>"], completions);
    }

    [Theory]
    [InlineData("", "the script holds no completions")]
    [InlineData("[]", "expected a non-empty JSON array")]
    [InlineData("[\"a\", 3]", "not a JSON array of completions (line 1")]
    public void Bad_scripts_say_what_is_wrong(string text, string message) =>
        Assert.Contains(message, Assert.Throws<FormatException>(() => HarmonyScriptFile.Parse(text)).Message);
}
