using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace GptOss.Agents.Configuration;

/// <summary>
/// Reads YAML text into a <see cref="ConfigNode"/> tree that remembers file, line and column. The parser's events
/// are assembled here without recursion and within limits, because YAML is hostile input: nesting depth and the
/// number of nodes, aliases counted as the copies they stand for, are bounded (an alias bomb or a self-referencing
/// alias is one error, not gigabytes or a stack overflow).
/// </summary>
public static class YamlConfigReader
{
    /// <summary>Deepest nesting of lists and mappings, far beyond any agent definition's output schema.</summary>
    internal const int MaxDepth = 64;

    /// <summary>Most nodes in one file once aliases are expanded.</summary>
    internal const int MaxNodes = 100_000;

    /// <summary>Parses one YAML document; a syntax error or an exceeded limit (both <see cref="YamlException"/>) becomes an <see cref="AgentConfigError"/> with its line.</summary>
    public static ConfigNode? Read(string yaml, string file, List<AgentConfigError> errors)
    {
        var parser = new Parser(new StringReader(yaml));
        try
        {
            parser.Consume<StreamStart>();
            if (parser.Accept<StreamEnd>(out _))
            {
                errors.Add(new AgentConfigError(new SourceLocation(file, 1, 1), "the file is empty"));
                return null;
            }
            parser.Consume<DocumentStart>();
            var root = new YamlTreeBuilder(file).Build(parser);
            parser.Consume<DocumentEnd>();
            if (parser.Accept<DocumentStart>(out var second))
            {
                errors.Add(new AgentConfigError(At(file, second.Start), "expected one YAML document per file"));
            }
            return root;
        }
        catch (YamlException e)
        {
            errors.Add(new AgentConfigError(At(file, e.Start), $"invalid YAML: {Innermost(e).Message}"));
            return null;
        }
    }

    internal static SourceLocation At(string file, Mark mark) => new(file, (int)mark.Line, (int)mark.Column);

    private static Exception Innermost(Exception e) => e.InnerException is { } inner ? Innermost(inner) : e;
}
