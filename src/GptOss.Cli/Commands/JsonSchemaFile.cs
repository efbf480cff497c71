using System.Text.Json;
using GptOss.Constraints;

namespace GptOss.Cli.Commands;

/// <summary>A <c>--json-schema FILE</c>: read, parsed and compiled up front, so a bad schema is one clear error before any model work.</summary>
internal static class JsonSchemaFile
{
    /// <summary>The schema in <paramref name="path"/>, checked to compile as an answer format.</summary>
    /// <exception cref="ArgumentException">The file is missing, not JSON (file:line:col), not an object, or uses an unsupported keyword.</exception>
    public static JsonElement Read(string path)
    {
        if (!File.Exists(path)) throw new ArgumentException($"--json-schema: {path}: no such file");
        JsonElement schema;
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(path));
            schema = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"--json-schema: {path}:{e.LineNumber + 1}:{e.BytePositionInLine + 1}: not valid JSON ({FirstSentence(e.Message)})");
        }
        if (schema.ValueKind != JsonValueKind.Object) throw new ArgumentException($"--json-schema: {path}: a JSON Schema must be an object, not {schema.ValueKind}");
        try
        {
            CompiledAnswerConstraint.For(new AnswerConstraint { Format = new AnswerFormat(schema) });
        }
        catch (JsonSchemaNotSupportedException e)
        {
            throw new ArgumentException($"--json-schema: {path}: {e.Message}");
        }
        return schema;
    }

    // System.Text.Json appends its own "LineNumber: … | BytePositionInLine: …", which the file:line:col already says.
    private static string FirstSentence(string message) => message.Split(" Path: ", 2)[0].Split(" LineNumber:", 2)[0].TrimEnd('.', ' ');
}
