using GptOss.Agents.Plugins;
using GptOss.Harmony;
using GptOss.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace GptOss.Agents.Tests.Definitions;

public sealed class AgentDefinitionLoaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gptoss-agents-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text.ReplaceLineEndings("\n"));
        return path;
    }

    private static AgentDefinitionLoader Loader() => new(AgentPluginCatalog.Default);

    [Fact]
    public void Shipped_agents_and_appsettings_load_and_validate()
    {
        var loader = Loader()
            .AddDirectory(Path.Combine(TestPaths.RepoRoot, "agents"))
            .AddSettingsFile(Path.Combine(TestPaths.RepoRoot, "appsettings.json"));

        Assert.Empty(loader.Errors);
        var catalog = loader.BuildCatalog();
        Assert.Equal(["analyst", "assistant", "planner", "researcher"], catalog.Agents.Select(a => a.Name));
        Assert.Equal(["browser"], catalog.Get("researcher").BuiltinTools);
        Assert.Equal(["python"], catalog.Get("analyst").BuiltinTools);
        Assert.Equal(AgentOutputKind.Json, catalog.Get("analyst").Output.Kind);
        Assert.Equal(["Clock", "Todo", "Calculator"], catalog.Get("planner").FunctionTools.Select(t => t.Plugin));
        Assert.Equal(ReasoningEffort.Low, catalog.Get("assistant").ReasoningEffort);
    }

    [Fact]
    public void Full_definition_is_read_field_by_field()
    {
        var file = Write("a.yaml", """
            name: bot
            description: d
            instructions: do things
            reasoning_effort: High
            model:
              temperature: 0.25
              top_p: 0.9
              max_tokens: 300
              seed: 42
            tools:
              - python
              - Clock.now
              - { id: Todo, type: function }
              - { id: browser, type: builtin }
            max_steps: 3
            output:
              format: json
              schema:
                type: object
                required: [x]
            """);
        var agent = Loader().AddYamlFile(file).BuildCatalog().Get("bot");

        Assert.Equal("d", agent.Description);
        Assert.Equal(ReasoningEffort.High, agent.ReasoningEffort);
        Assert.Equal(new AgentModelSettings { Temperature = 0.25f, TopP = 0.9f, MaxTokens = 300, Seed = 42 }, agent.Model);
        Assert.Equal(["python", "browser"], agent.BuiltinTools);
        Assert.Equal(["Clock.now", "Todo"], agent.FunctionTools.Select(t => t.ToString()));
        Assert.Equal(3, agent.MaxSteps);
        Assert.Equal("""{"type":"object","required":["x"]}""", agent.Output.Schema!.ToJsonString());
        Assert.Equal(new SourceLocation(file, 1, 1), agent.Source);
    }

    [Theory]
    [InlineData("tools:\n  - python\n  - browsr\n", 5, "unknown tool 'browsr'")]
    [InlineData("tools:\n  - Clock.tomorrow\n", 4, "unknown function 'tomorrow' in plugin 'Clock'")]
    [InlineData("max_steps: many\n", 3, "'max_steps' must be an integer, found 'many'")]
    [InlineData("model:\n  temperature: hot\n", 4, "'temperature' must be a number, found 'hot'")]
    [InlineData("model:\n  temperature: 7\n", 4, "'temperature' must be between 0 and 2")]
    [InlineData("tools: python\n", 3, "'tools' must be a list")]
    [InlineData("reasoning_effort: extreme\n", 3, "'reasoning_effort' must be low, medium or high")]
    [InlineData("max_turns: 3\n", 3, "unknown agent key 'max_turns'")]
    [InlineData("model:\n  temprature: 1\n", 4, "unknown model key 'temprature'")]
    [InlineData("output:\n  format: xml\n", 4, "output format must be text or json")]
    [InlineData("output:\n  format: text\n  schema: {type: object}\n", 5, "an output 'schema' needs 'format: json'")]
    public void Invalid_field_is_reported_with_file_and_line(string tail, int line, string message)
    {
        var file = Write("bad.yaml", "name: bad\ninstructions: x\n" + tail);
        var loader = Loader().AddYamlFile(file);

        var error = Assert.Single(loader.Errors);
        Assert.Equal(file, error.Location.Source);
        Assert.Equal(line, error.Location.Line);
        Assert.Contains(message, error.Message);
        Assert.StartsWith($"{file}:{line}:", error.ToString());
        Assert.Throws<AgentConfigurationException>(() => loader.BuildCatalog());
    }

    [Theory]
    [InlineData("", "auto")]
    [InlineData("tool_choice: none\n", "none")]
    [InlineData("tool_choice: required\n", "required")]
    [InlineData("tool_choice: Calculator.evaluate\n", "Calculator.evaluate")]
    public void Tool_choice_is_read(string line, string expected)
    {
        var file = Write("choice.yaml", $"name: bot\ninstructions: x\ntools: [Calculator]\n{line}");

        Assert.Equal(expected, Loader().AddYamlFile(file).BuildCatalog().Get("bot").ToolChoice.ToString());
    }

    [Theory]
    [InlineData("tools: [Calculator]\ntool_choice: Clock.now\n", "tool_choice must be auto, none, required or one of the agent's functions as Plugin.function, found 'Clock.now'")]
    [InlineData("tools: [Calculator]\ntool_choice: sometimes\n", "found 'sometimes'")]
    [InlineData("tools: [python]\ntool_choice: required\n", "tool_choice 'required' needs a function tool")]
    [InlineData("output:\n  format: json\n  schema: {type: string, not: {}}\n", "output 'schema' cannot be enforced: JSON schema keyword 'not' at '#' is not supported")]
    public void Bad_tool_choice_or_unenforceable_schema_is_an_error_at_its_line(string yaml, string message)
    {
        var file = Write("bad.yaml", $"name: bot\ninstructions: x\n{yaml}");

        var error = Assert.Single(Loader().AddYamlFile(file).Errors);
        Assert.Contains(message, error.Message);
        Assert.True(error.Location.Line >= 4, error.ToString());
    }

    [Fact]
    public void Missing_required_fields_are_each_reported()
    {
        var file = Write("empty.yaml", "description: nothing else\n");
        var errors = Loader().AddYamlFile(file).Errors;

        Assert.Equal(2, errors.Count);
        Assert.Contains(errors, e => e.Message == "missing required field 'name'" && e.Location.Line == 1);
        Assert.Contains(errors, e => e.Message == "missing required field 'instructions'");
    }

    [Fact]
    public void Yaml_syntax_error_names_its_line()
    {
        var file = Write("broken.yaml", "name: x\ninstructions: y\ntools: [python\n");
        var error = Assert.Single(Loader().AddYamlFile(file).Errors);
        Assert.StartsWith("invalid YAML", error.Message);
        Assert.True(error.Location.Line >= 3, error.ToString());
    }

    [Fact]
    public void Duplicate_agent_names_across_files_point_at_both()
    {
        var first = Write("1.yaml", "name: twin\ninstructions: a\n");
        Write("2.yaml", "name: twin\ninstructions: b\n");
        var error = Assert.Single(Loader().AddDirectory(_dir).Errors);
        Assert.Contains($"already defined at {first}:1:1", error.Message);
    }

    [Fact]
    public void Settings_file_errors_carry_json_line_numbers()
    {
        var file = Write("appsettings.json", """
            {
              // comments are allowed, as in appsettings
              "Agents": {
                "Definitions": {
                  "helper": {
                    "Instructions": "help",
                    "MaxSteps": "lots",
                    "Tools": [ "python", "calendar" ]
                  }
                }
              }
            }
            """);
        var errors = Loader().AddSettingsFile(file).Errors;

        Assert.Equal(2, errors.Count);
        Assert.Contains(errors, e => e.Location.Line == 7 && e.Message.Contains("'MaxSteps' must be an integer"));
        Assert.Contains(errors, e => e.Location.Line == 8 && e.Message.Contains("unknown tool 'calendar'"));
    }

    [Fact]
    public void AddGptOssAgents_binds_configuration_and_fails_on_start_naming_the_path()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Agents:Directory"] = null,
            ["Agents:Definitions:good:Instructions"] = "ok",
            ["Agents:Definitions:good:Tools:0"] = "Calculator",
            ["Agents:Definitions:bad:Instructions"] = "ok",
            ["Agents:Definitions:bad:Tools:0"] = "teleport",
        }).Build();
        using var services = new ServiceCollection().AddGptOssAgents(configuration).BuildServiceProvider();

        var failure = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<AgentsOptions>>().Value);
        Assert.Contains("configuration 'Agents:Definitions:bad:Tools:0': unknown tool 'teleport'", failure.Message);
    }

    [Fact]
    public void AddGptOssAgents_exposes_the_catalog_with_host_plugins()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Agents:Directory"] = "",
            ["Agents:Definitions:helper:Instructions"] = "ok",
            ["Agents:Definitions:helper:Tools:0"] = "Weather.forecast",
        }).Build();
        using var services = new ServiceCollection()
            .AddGptOssAgents(configuration)
            .AddGptOssAgentPlugin("Weather", () => Microsoft.SemanticKernel.KernelPluginFactory.CreateFromFunctions("Weather",
                [Microsoft.SemanticKernel.KernelFunctionFactory.CreateFromMethod(() => "sunny", "forecast")]))
            .BuildServiceProvider();

        var agent = services.GetRequiredService<AgentCatalog>().Get("helper");
        Assert.Equal("Weather.forecast", Assert.Single(agent.FunctionTools).ToString());
        Assert.Same(agent, services.GetRequiredKeyedService<AgentDefinition>("helper"));
        Assert.Equal("unknown agent 'nope': known agents are helper",
            Assert.Throws<KeyNotFoundException>(() => services.GetRequiredService<AgentCatalog>().Get("nope")).Message);
    }
}
