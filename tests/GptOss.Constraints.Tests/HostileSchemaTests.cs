using GptOss.Testing;

namespace GptOss.Constraints.Tests;

/// <summary>
/// Schemas built to exhaust the compiler: each is compiled by <see cref="SchemaCompileChild"/> in a child capped at
/// 512 MB of GC heap and 60 s, and must come back as one line naming the limit it ran into.
/// </summary>
public sealed class HostileSchemaTests : IDisposable
{

    private readonly string _dir = Directory.CreateTempSubdirectory("gptoss-hostile-schema-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    public static TheoryData<string, string, string> Cases => new()
    {
        { "many-items", """{"type":"array","minItems":100000000,"items":{"type":"string","maxLength":4096}}""", "'(size)' at '#' is not supported: the constraint compiles to more than 250,000 automaton states" },
        { "deep", string.Concat(Enumerable.Repeat("""{"items":""", 20_000)) + "{}" + new string('}', 20_000), "is not supported: schemas nest deeper than 64 levels" },
        { "deep-pattern", $$"""{"type":"string","pattern":"{{new string('(', 20_000)}}a{{new string(')', 20_000)}}"}""", "'pattern' at '#/pattern' is not supported: groups nest deeper than 64 levels" },
        { "repeat-pattern", """{"type":"string","pattern":"^((a{1000}){1000}){1000}$"}""", "the constraint compiles to more than 250,000 automaton states" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task AHostileSchemaIsOneErrorLineWithinMemoryAndTimeCaps(string name, string schema, string expected)
    {
        string file = Path.Combine(_dir, name + ".json");
        await File.WriteAllTextAsync(file, schema);
        var (exit, output, error) = await CappedChild.RunAsync(typeof(SchemaCompileChild).Assembly, file);

        Assert.True(exit == 0, $"the child exited {exit}: {error[..Math.Min(error.Length, 2000)]}");
        var line = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(expected, line);
    }
}
