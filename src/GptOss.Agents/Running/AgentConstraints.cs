using System.Text.Json;
using System.Text.Json.Nodes;
using GptOss.Constraints;
using GptOss.Harmony;
using GptOss.SemanticKernel;

namespace GptOss.Agents;

/// <summary>What an agent's output schema and tool choice require of one step's answer, as the pipeline's <see cref="AnswerConstraint"/>.</summary>
internal static class AgentConstraints
{
    /// <summary>Why <paramref name="schema"/> cannot be enforced (an unsupported keyword and where), or null when it can.</summary>
    public static string? SchemaProblem(JsonObject schema)
    {
        try
        {
            CompiledAnswerConstraint.For(new AnswerConstraint { Format = new AnswerFormat(ToElement(schema)) });
            return null;
        }
        catch (JsonSchemaNotSupportedException e)
        {
            return e.Message;
        }
    }

    /// <summary>
    /// The constraint of one step: the output schema (with the agent's functions left callable, their arguments
    /// constrained) and, until the first tool call of a task, a required call. Null when the step is free.
    /// </summary>
    /// <remarks>
    /// An agent with built-in tools keeps a free answer checked afterwards: harmony calls those on the analysis
    /// channel, which the constrained frame does not offer.
    /// </remarks>
    public static AnswerConstraint? ForStep(AgentDefinition agent, ToolNamespaceConfig? functions, bool hasBuiltins, bool beforeFirstCall)
    {
        var signatures = functions?.Tools.Select(Signature).ToList() ?? [];
        var format = agent.Output.Schema is { } schema && !hasBuiltins ? new AnswerFormat(ToElement(schema)) : null;
        var required = !beforeFirstCall || signatures.Count == 0 ? null : agent.ToolChoice.Mode switch
        {
            AgentToolChoiceMode.Required => signatures,
            AgentToolChoiceMode.Function => signatures.Where(f => f.Name == KernelFunctionTools.ToolName(agent.ToolChoice.Function!.Plugin, agent.ToolChoice.Function.Function!)).ToList(),
            _ => null,
        };
        if (format is null && required is null) return null;
        return new AnswerConstraint
        {
            Format = format,
            RequiredCall = required,
            StrictFunctions = format is null ? [] : signatures,
        };
    }

    private static FunctionSignature Signature(ToolDescription tool) =>
        ChatOptionsConstraint.Signature(tool.Name, tool.Parameters is { } parameters ? ToElement(parameters) : EmptyObject);

    private static readonly JsonElement EmptyObject = JsonDocument.Parse("""{"type":"object","properties":{}}""").RootElement;

    private static JsonElement ToElement(JsonNode node) => JsonDocument.Parse(node.ToJsonString()).RootElement;
}
