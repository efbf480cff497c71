using GptOss.Generation;
using GptOss.Agents.Plugins;
using GptOss.Tools;

namespace GptOss.Agents.Tests.Running;

/// <summary>Model outputs written the way gpt-oss answers (analysis, then a call or a final answer), and a runner over them.</summary>
internal static class AgentScripts
{
    public static string FunctionCall(string thought, string function, string json) =>
        $"<|channel|>analysis<|message|>{thought}<|end|>" +
        $"<|start|>assistant<|channel|>commentary to=functions.{function} <|constrain|>json<|message|>{json}<|call|>";

    public static string BuiltinCall(string thought, string recipient, string contentType, string body) =>
        $"<|channel|>analysis<|message|>{thought}<|end|>" +
        $"<|start|>assistant<|channel|>analysis to={recipient} {contentType}<|message|>{body}<|call|>";

    public static string Final(string thought, string answer) =>
        $"<|channel|>analysis<|message|>{thought}<|end|><|start|>assistant<|channel|>final<|message|>{answer}<|return|>";

    public static AgentDefinition Agent(params AgentToolReference[] tools) => new()
    {
        Name = "tester",
        Instructions = "Use the tools to answer.",
        Tools = tools,
    };

    public static BuiltinToolReference Builtin(string name) => new(name, SourceLocation.Unknown);

    public static FunctionToolReference Function(string plugin, string? function = null) => new(plugin, function, SourceLocation.Unknown);

    public static AgentRunner Runner(ITokenGenerator generator, ToolsOptions? tools = null) =>
        new(generator, AgentPluginCatalog.Default, new ToolExecutorFactory(tools ?? new ToolsOptions()));

    public static async Task<List<AgentEvent>> Collect(IAsyncEnumerable<AgentEvent> events)
    {
        var list = new List<AgentEvent>();
        await foreach (var e in events) list.Add(e);
        return list;
    }
}
