using System.Text.Json;
using GptOss.SemanticKernel;
using Microsoft.Extensions.AI;

namespace GptOss.Cli.Server;

/// <summary>A function offered in a request's <c>tools</c>: name, description, parameter schema and its <c>strict</c> flag.</summary>
internal sealed class FunctionDeclaration(string name, string description, JsonElement parameters, bool strict) : AIFunctionDeclaration
{
    public override string Name => name;
    public override string Description => description;
    public override JsonElement JsonSchema => parameters;
    public override IReadOnlyDictionary<string, object?> AdditionalProperties { get; } =
        new Dictionary<string, object?> { [ChatOptionsConstraint.StrictKey] = strict };
}
