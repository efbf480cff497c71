using GptOss.Agents.Plugins;

namespace GptOss.Agents.Tests.Definitions;

/// <summary>
/// The test assembly's entry point, run only as a child process (<c>dotnet exec GptOss.Agents.Tests.dll FILE</c>):
/// loads one agent file and prints its errors, one a line. Hostile files are loaded here so that their tests run
/// under the child's memory and time limits, which hold even when the loader has no limits of its own.
/// With <c>mcp-server</c> it serves the MCP test server over stdio instead.
/// </summary>
internal static class AgentFileChild
{
    public static int Main(string[] args)
    {
        if (args is [GptOss.Mcp.Tests.TestMcpServer.Argument]) return GptOss.Mcp.Tests.TestMcpServer.RunAsync().GetAwaiter().GetResult();
        if (args.Length != 1)
        {
            Console.Error.WriteLine("usage: dotnet exec GptOss.Agents.Tests.dll AGENT.yaml");
            return 2;
        }
        foreach (var error in new AgentDefinitionLoader(AgentPluginCatalog.Default).AddYamlFile(args[0]).Errors)
            Console.WriteLine(error);
        return 0;
    }
}
