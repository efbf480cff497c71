using GptOss.Testing;
using System.Text;
using GptOss.Agents.Plugins;

namespace GptOss.Agents.Tests.Definitions;

/// <summary>
/// YAML built to exhaust the loader. The files that would take the machine (or overflow the stack) without the
/// loader's limits are loaded by <see cref="AgentFileChild"/> in a child capped at 512 MB of GC heap and 60 s.
/// </summary>
public sealed class HostileYamlTests : IDisposable
{

    private readonly string _dir = Directory.CreateTempSubdirectory("gptoss-hostile-yaml-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>"Billion laughs": 9 levels of 9 aliases to the level below, 9^9 scalars once expanded.</summary>
    private static string AliasBomb()
    {
        var yaml = new StringBuilder("name: bomb\ninstructions: x\nl0: &l0 [a, a, a, a, a, a, a, a, a]\n");
        for (var level = 1; level < 9; level++)
            yaml.Append($"l{level}: &l{level} [{string.Join(", ", Enumerable.Repeat($"*l{level - 1}", 9))}]\n");
        return yaml.ToString();
    }

    public static TheoryData<string, string, string> ChildCases => new()
    {
        { "bomb.yaml", AliasBomb(), "more than 100000 nodes" },
        { "self.yaml", "name: loop\ninstructions: x\ntools: &t [python, *t]\n", "alias '*t' refers to a node that contains it" },
        { "deep.yaml", "name: deep\ninstructions: x\ntools: " + new string('[', 20_000) + new string(']', 20_000) + "\n", "nest deeper than 64 levels" },
    };

    [Theory]
    [MemberData(nameof(ChildCases))]
    public async Task Hostile_yaml_is_one_error_line_within_memory_and_time_caps(string name, string yaml, string expected)
    {
        var file = Write(name, yaml);
        var (exit, output, error) = await RunChildAsync(file);

        Assert.True(exit == 0, $"the loader exited {exit}: {error[..Math.Min(error.Length, 2000)]}");
        var line = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Matches($@"^{System.Text.RegularExpressions.Regex.Escape(file)}:\d+:\d+: invalid YAML: .*{System.Text.RegularExpressions.Regex.Escape(expected)}", line);
    }

    [Fact]
    public void Aliases_expanding_past_the_node_limit_are_refused()
    {
        // 40 × 40 × 100 = 160,000 scalars expanded: small enough to be harmless without the limit.
        var file = Write("wide.yaml", "name: wide\ninstructions: x\n"
            + $"a: &a [{string.Join(", ", Enumerable.Repeat("x", 100))}]\n"
            + $"b: &b [{string.Join(", ", Enumerable.Repeat("*a", 40))}]\n"
            + $"c: [{string.Join(", ", Enumerable.Repeat("*b", 40))}]\n");
        var error = Assert.Single(new AgentDefinitionLoader(AgentPluginCatalog.Default).AddYamlFile(file).Errors);
        Assert.Equal(5, error.Location.Line);
        Assert.Contains("more than 100000 nodes", error.Message);
    }

    [Fact]
    public void Nesting_is_limited_to_64_levels_also_through_aliases()
    {
        static string Nested(int levels) => new string('[', levels) + new string(']', levels);
        var loader = new AgentDefinitionLoader(AgentPluginCatalog.Default);
        var deepest = Write("deepest.yaml", $"name: deepest\ninstructions: x\nextra: {Nested(63)}\n");
        var deeper = Write("deeper.yaml", $"name: deeper\ninstructions: x\nextra: {Nested(64)}\n");
        var aliased = Write("aliased.yaml", $"name: aliased\ninstructions: x\nextra: &e {Nested(60)}\nmore: [[[[[*e]]]]]\n");

        Assert.DoesNotContain(loader.AddYamlFile(deepest).Errors, e => e.Message.Contains("nest"));
        var tooDeep = Assert.Single(new AgentDefinitionLoader(AgentPluginCatalog.Default).AddYamlFile(deeper).Errors);
        Assert.Equal((3, 71), (tooDeep.Location.Line, tooDeep.Location.Column));
        Assert.Contains("nest deeper than 64 levels", tooDeep.Message);
        var throughAlias = Assert.Single(new AgentDefinitionLoader(AgentPluginCatalog.Default).AddYamlFile(aliased).Errors);
        Assert.Equal(4, throughAlias.Location.Line);
        Assert.Contains("alias '*e' nests", throughAlias.Message);
    }

    [Fact]
    public void Anchors_and_aliases_within_the_limits_still_work()
    {
        var file = Write("shared.yaml", """
            name: shared
            instructions: x
            output:
              format: json
              schema:
                type: object
                properties:
                  a: &text { type: string }
                  b: *text
            """);
        var agent = new AgentDefinitionLoader(AgentPluginCatalog.Default).AddYamlFile(file).BuildCatalog().Get("shared");
        Assert.Equal("""{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"string"}}}""", agent.Output.Schema!.ToJsonString());
    }

    /// <summary>Loads <paramref name="file"/> in <see cref="AgentFileChild"/>, in a <see cref="CappedChild"/>.</summary>
    private static Task<(int Exit, string Output, string Error)> RunChildAsync(string file) =>
        CappedChild.RunAsync(typeof(AgentFileChild).Assembly, file);
}
