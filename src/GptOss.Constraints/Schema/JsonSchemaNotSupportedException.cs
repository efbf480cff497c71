namespace GptOss.Constraints;

/// <summary>
/// A JSON Schema uses something the constraint compiler cannot enforce; thrown when the constraint is compiled, before
/// any token is generated. <see cref="Keyword"/> and <see cref="Pointer"/> (a JSON pointer into the schema) say where.
/// </summary>
public sealed class JsonSchemaNotSupportedException(string keyword, string pointer, string detail)
    : Exception($"JSON schema keyword '{keyword}' at '{(pointer.Length == 0 ? "#" : "#" + pointer)}' is not supported: {detail}")
{
    public string Keyword { get; } = keyword;

    public string Pointer { get; } = pointer;
}
