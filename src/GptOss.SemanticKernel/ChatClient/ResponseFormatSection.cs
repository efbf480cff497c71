using System.Text.Json;
using Microsoft.Extensions.AI;

namespace GptOss.SemanticKernel;

/// <summary>
/// The developer message's <c># Response Formats</c> section, where harmony tells the model the answer's JSON schema
/// (the constraint then enforces it; the text lets the model aim for it while it reasons).
/// </summary>
public static class ResponseFormatSection
{
    /// <summary>The name a format gets when the request gives none.</summary>
    public const string DefaultName = "answer";

    /// <summary>The section for <paramref name="format"/>: its name, description and schema, or "any JSON object" without a schema.</summary>
    public static string Render(ChatResponseFormatJson format) =>
        Render(format.SchemaName, format.SchemaDescription, format.Schema?.GetRawText());

    /// <summary>The section for a schema given as JSON text (null: any JSON object).</summary>
    public static string Render(string? name, string? description, string? schemaJson)
    {
        var body = schemaJson is null
            ? "A single JSON object, with no text around it."
            : JsonSerializer.Serialize(JsonDocument.Parse(schemaJson).RootElement);   // compact: one line, as harmony writes schemas
        var comment = string.IsNullOrWhiteSpace(description) ? "" : $"// {description.ReplaceLineEndings(" ")}\n";
        return $"# Response Formats\n\n## {(string.IsNullOrWhiteSpace(name) ? DefaultName : name)}\n\n{comment}{body}";
    }
}
