using Microsoft.Extensions.Configuration;

namespace GptOss.Agents.Configuration;

/// <summary>
/// Turns an <see cref="IConfigurationSection"/> into a <see cref="ConfigNode"/> tree. IConfiguration keeps no
/// line numbers, so locations are configuration paths (<c>Agents:Definitions:planner:tools:0</c>);
/// children keyed 0..n-1 are a list.
/// </summary>
public static class ConfigurationSectionReader
{
    public static ConfigNode Read(IConfigurationSection section)
    {
        var at = new SourceLocation($"configuration '{section.Path}'");
        var children = section.GetChildren().ToList();
        if (children.Count == 0)
        {
            return new ConfigScalar(section.Value, at);
        }
        var isList = children
            .Select((c, i) => (c, i))
            .All(x => x.c.Key == x.i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return isList
            ? new ConfigList(children.Select(Read).ToList(), at)
            : new ConfigMap(children.Select(c => new ConfigEntry(c.Key, new SourceLocation($"configuration '{c.Path}'"), Read(c))).ToList(), at);
    }
}
