using GptOss.Agents.Plugins;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace GptOss.Agents.Tests.Definitions;

/// <summary>An agent's <c>mcp:</c> entries and the shared <c>Mcp:Servers</c> section, from YAML, appsettings.json and IConfiguration.</summary>
public sealed class McpServerDefinitionTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gptoss-mcp-agents-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text.ReplaceLineEndings("\n"));
        return path;
    }

    [Fact]
    public void An_agent_file_names_shared_servers_of_the_settings_and_defines_its_own()
    {
        Write("appsettings.json", """
            {
              "Mcp": {
                "Servers": {
                  "everything": { "Command": "npx", "Args": [ "-y", "@modelcontextprotocol/server-everything" ], "InheritEnv": true }
                }
              }
            }
            """);
        Write("agents/helper.yaml", """
            name: helper
            instructions: help
            mcp:
              - everything
              - name: notes
                command: node
                args: [notes.js, --read-only]
                env: { NOTES_DIR: /data/notes }
                cwd: /srv/notes
              - name: search
                url: http://localhost:3001/mcp
                headers: { Authorization: Bearer abc }
            """);
        var workspace = AgentWorkspace.Discover(Path.Combine(_dir, "appsettings.json"), Path.Combine(_dir, "agents"));

        var agent = workspace.LoadAgents(AgentPluginCatalog.Default).BuildCatalog().Get("helper");

        Assert.Equal(["everything", "notes", "search"], agent.McpServers.Select(s => s.Name));
        var (everything, notes, search) = (agent.McpServers[0], agent.McpServers[1], agent.McpServers[2]);
        Assert.Equal(("npx", true), (everything.Command, everything.InheritEnvironment));
        Assert.Equal(["-y", "@modelcontextprotocol/server-everything"], everything.Arguments);
        Assert.Equal(("node", "/srv/notes", false, null), (notes.Command, notes.WorkingDirectory, notes.InheritEnvironment, notes.Url));
        Assert.Equal(["notes.js", "--read-only"], notes.Arguments);
        Assert.Equal("/data/notes", notes.Environment["NOTES_DIR"]);
        Assert.Equal((new Uri("http://localhost:3001/mcp"), null), (search.Url, search.Command));
        Assert.Equal("Bearer abc", search.Headers["Authorization"]);
    }

    [Theory]
    [InlineData("mcp:\n  - nowhere\n", 4, "unknown MCP server 'nowhere': name one of 'Mcp:Servers' in appsettings.json (none are defined)")]
    [InlineData("mcp:\n  - name: s\n    command: a\n    url: http://x/mcp\n", 4, "MCP server 's' needs either 'command' (stdio) or 'url' (streamable HTTP), not both")]
    [InlineData("mcp:\n  - name: s\n", 4, "MCP server 's' needs either 'command' (stdio) or 'url' (streamable HTTP)")]
    [InlineData("mcp:\n  - name: s\n    url: ftp://x/mcp\n", 5, "'url' must be an absolute http or https URL, found 'ftp://x/mcp'")]
    [InlineData("mcp:\n  - name: s\n    url: http://x/mcp\n    env: { A: b }\n", 6, "'env' is for a stdio server (command), not one reached by url")]
    [InlineData("mcp:\n  - name: s\n    command: a\n    headers: { A: b }\n", 6, "'headers' is for a server reached by url, not a stdio server (command)")]
    [InlineData("mcp:\n  - name: s\n    command: a\n    inherit_env: sometimes\n", 6, "'inherit_env' must be true or false, found 'sometimes'")]
    [InlineData("mcp:\n  - name: s\n    command: a\n    args: a b\n", 6, "'args' must be a list of strings, found 'a b'")]
    [InlineData("mcp:\n  - name: s.t\n    command: a\n", 4, "invalid MCP server name 's.t'")]
    [InlineData("mcp:\n  - name: s\n    command: a\n    comand: b\n", 6, "unknown MCP server key 'comand'")]
    [InlineData("mcp:\n  - name: s\n    command: a\n  - name: s\n    url: http://x/mcp\n", 6, "MCP server 's' is listed twice")]
    [InlineData("mcp: everything\n", 3, "'mcp' must be a list of servers, found 'everything'")]
    public void Invalid_mcp_entry_is_reported_with_file_and_line(string tail, int line, string message)
    {
        var file = Write("bad.yaml", "name: bad\ninstructions: x\n" + tail);
        var loader = new AgentDefinitionLoader(AgentPluginCatalog.Default).AddYamlFile(file);

        var error = Assert.Single(loader.Errors);
        Assert.Equal((file, line), (error.Location.Source, error.Location.Line));
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void Shared_server_errors_carry_json_line_numbers()
    {
        var file = Write("appsettings.json", """
            {
              "Mcp": {
                "Servers": {
                  "good": { "Command": "node" },
                  "bad": { "Url": "not a url" }
                }
              },
              "Agents": { "Definitions": { "a": { "Instructions": "x", "Mcp": [ "good", "bad" ] } } }
            }
            """);
        var errors = new AgentDefinitionLoader(AgentPluginCatalog.Default).AddSettingsFile(file).Errors;

        Assert.Equal(2, errors.Count);
        Assert.Contains(errors, e => e.Location.Line == 5 && e.Message.Contains("'url' must be an absolute http or https URL"));
        Assert.Contains(errors, e => e.Location.Line == 8 && e.Message.Contains("unknown MCP server 'bad': name one of 'Mcp:Servers' in appsettings.json (defined: good)"));
    }

    [Fact]
    public void AddGptOssAgents_reads_the_Mcp_section_of_the_configuration()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Agents:Directory"] = "",
            ["Mcp:Servers:files:Command"] = "node",
            ["Mcp:Servers:files:Args:0"] = "files.js",
            ["Mcp:Servers:files:Env:ROOT"] = "/data",
            ["Agents:Definitions:helper:Instructions"] = "help",
            ["Agents:Definitions:helper:Mcp:0"] = "files",
        }).Build();
        using var services = new ServiceCollection().AddGptOssAgents(configuration).BuildServiceProvider();

        var server = Assert.Single(services.GetRequiredService<AgentCatalog>().Get("helper").McpServers);

        Assert.Equal(("files", "node", "/data"), (server.Name, server.Command, server.Environment["ROOT"]));
        Assert.Equal(["files.js"], server.Arguments);
    }
}
