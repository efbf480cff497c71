using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace GptOss.Agents.Configuration;

/// <summary>Reads YAML text into a <see cref="ConfigNode"/> tree that remembers file, line and column.</summary>
public static class YamlConfigReader
{
    /// <summary>Parses one YAML document; a syntax error becomes an <see cref="AgentConfigError"/> with its line.</summary>
    public static ConfigNode? Read(string yaml, string file, List<AgentConfigError> errors)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            errors.Add(new AgentConfigError(At(file, e.Start), $"invalid YAML: {Innermost(e).Message}"));
            return null;
        }
        if (stream.Documents.Count == 0)
        {
            errors.Add(new AgentConfigError(new SourceLocation(file, 1, 1), "the file is empty"));
            return null;
        }
        if (stream.Documents.Count > 1)
        {
            errors.Add(new AgentConfigError(At(file, stream.Documents[1].RootNode.Start), "expected one YAML document per file"));
        }
        return Convert(stream.Documents[0].RootNode, file);
    }

    private static ConfigNode Convert(YamlNode node, string file) => node switch
    {
        YamlScalarNode s => new ConfigScalar(
            s.Style == ScalarStyle.Plain && s.Value is "" or "~" or "null" or "Null" or "NULL" ? null : s.Value,
            At(file, s.Start),
            s.Style is not ScalarStyle.Plain),
        YamlSequenceNode seq => new ConfigList(seq.Children.Select(c => Convert(c, file)).ToList(), At(file, seq.Start)),
        YamlMappingNode map => new ConfigMap(
            map.Children.Select(kv => new ConfigEntry(
                (kv.Key as YamlScalarNode)?.Value ?? "", At(file, kv.Key.Start), Convert(kv.Value, file))).ToList(),
            At(file, map.Start)),
        _ => new ConfigScalar(null, At(file, node.Start)),
    };

    private static SourceLocation At(string file, Mark mark) => new(file, (int)mark.Line, (int)mark.Column);

    private static Exception Innermost(Exception e) => e.InnerException is { } inner ? Innermost(inner) : e;
}
