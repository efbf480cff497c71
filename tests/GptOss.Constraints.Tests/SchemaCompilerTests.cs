using System.Text.Json;

namespace GptOss.Constraints.Tests;

/// <summary>What the compiler cannot enforce is refused when compiling, naming the keyword and where it is.</summary>
public sealed class SchemaCompilerTests
{
    [Theory]
    [InlineData("""{"type":"object","properties":{"a":{"type":"string","format":"email"}}}""", "format", "#/properties/a")]
    [InlineData("""{"not":{"type":"string"}}""", "not", "#")]
    [InlineData("""{"type":"object","properties":{"list":{"type":"array","items":{"allOf":[{"type":"string"}]}}}}""", "allOf", "#/properties/list/items")]
    [InlineData("""{"$defs":{"node":{"type":"object","properties":{"next":{"$ref":"#/$defs/node"}}}},"$ref":"#/$defs/node"}""", "$ref", "#/$defs/node/properties/next")]
    [InlineData("""{"type":"string","pattern":"^(?=a)b$"}""", "pattern", "#/pattern")]
    [InlineData("""{"type":"array","uniqueItems":true}""", "uniqueItems", "#")]
    [InlineData("""{"type":"object","required":["x"],"additionalProperties":false}""", "required", "#")]
    [InlineData("""{"type":"integer","minimum":5,"maximum":4}""", "minimum", "#")]
    public void UnsupportedKeywordIsRefusedAtCompileTimeWithItsPointer(string schema, string keyword, string pointer)
    {
        using var document = JsonDocument.Parse(schema);
        var error = Assert.Throws<JsonSchemaNotSupportedException>(() =>
            CompiledAnswerConstraint.Compile(new AnswerConstraint { Format = new AnswerFormat(document.RootElement.Clone()) }));
        Assert.Equal(keyword, error.Keyword);
        Assert.Contains($"'{keyword}' at '{pointer}'", error.Message);
    }

    [Fact]
    public void UnsupportedKeywordInARequiredFunctionsParametersIsRefusedToo()
    {
        using var parameters = JsonDocument.Parse("""{"type":"object","properties":{"n":{"type":"number","multipleOf":2}}}""");
        var error = Assert.Throws<JsonSchemaNotSupportedException>(() => CompiledAnswerConstraint.Compile(
            new AnswerConstraint { RequiredCall = [new FunctionSignature("f", parameters.RootElement.Clone())] }));
        Assert.Equal("multipleOf", error.Keyword);
    }
}
