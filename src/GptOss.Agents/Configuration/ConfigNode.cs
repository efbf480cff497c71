namespace GptOss.Agents.Configuration;

/// <summary>
/// A configuration value with its location, whatever it was read from (YAML, JSON, IConfiguration),
/// so one validator reports errors with file and line for every source.
/// </summary>
public abstract record ConfigNode(SourceLocation Location)
{
    /// <summary>What this node is, in an error message ("a list", "a mapping", "'hot'").</summary>
    public abstract string Describe();
}

/// <summary>A scalar; <see cref="Value"/> is null for YAML/JSON null.</summary>
public sealed record ConfigScalar(string? Value, SourceLocation Location, bool Quoted = false) : ConfigNode(Location)
{
    public override string Describe() => Value is null ? "null" : $"'{Value}'";
}

public sealed record ConfigList(IReadOnlyList<ConfigNode> Items, SourceLocation Location) : ConfigNode(Location)
{
    public override string Describe() => "a list";
}

public sealed record ConfigMap(IReadOnlyList<ConfigEntry> Entries, SourceLocation Location) : ConfigNode(Location)
{
    public override string Describe() => "a mapping";

    /// <summary>The entry whose key matches <paramref name="key"/> (keys compare as in <see cref="ConfigKeys.Normalize"/>).</summary>
    public ConfigEntry? Find(string key) =>
        Entries.FirstOrDefault(e => ConfigKeys.Normalize(e.Key) == ConfigKeys.Normalize(key));
}

public sealed record ConfigEntry(string Key, SourceLocation KeyLocation, ConfigNode Value);

/// <summary>
/// Keys match case-insensitively and ignore underscores, so YAML's <c>max_steps</c> and
/// appsettings.json's <c>MaxSteps</c> name the same field.
/// </summary>
public static class ConfigKeys
{
    public static string Normalize(string key) => key.Replace("_", "", StringComparison.Ordinal).ToLowerInvariant();
}
