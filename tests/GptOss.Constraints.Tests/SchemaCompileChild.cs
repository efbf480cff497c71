using System.Text.Json;

namespace GptOss.Constraints.Tests;

/// <summary>
/// The test assembly's entry point, run only as a child process (<c>dotnet exec GptOss.Constraints.Tests.dll SCHEMA.json</c>):
/// compiles one response-format schema, computes the first masks, and prints "ok" or the error, one line. Hostile
/// schemas are compiled here so their tests run under the child's memory and time limits.
/// </summary>
internal static class SchemaCompileChild
{
    public static int Main(string[] args)
    {
        if (args.Length != 1)
        {
            Console.Error.WriteLine("usage: dotnet exec GptOss.Constraints.Tests.dll SCHEMA.json");
            return 2;
        }
        // The parser's own depth limit is lifted so that the compiler's is what the test meets.
        using var schema = JsonDocument.Parse(File.ReadAllText(args[0]), new JsonDocumentOptions { MaxDepth = 1_000_000 });
        try
        {
            var constraint = CompiledAnswerConstraint.Compile(new AnswerConstraint { Format = new AnswerFormat(schema.RootElement) }).Begin();
            constraint.Allowed(1000);
            Console.WriteLine("ok");
        }
        catch (JsonSchemaNotSupportedException e)
        {
            Console.WriteLine(e.Message);
        }
        return 0;
    }
}
