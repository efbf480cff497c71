namespace GptOss.Agents;

/// <summary>
/// The <c>Agents</c> configuration section: where agent files live. Definitions may also be written inline
/// under <c>Agents:Definitions:{name}</c>; they are read by <see cref="AgentDefinitionLoader"/> (with validation),
/// not bound here.
/// </summary>
public sealed class AgentsOptions
{
    /// <summary>Folder of <c>*.yaml</c> agent files; relative paths resolve against the current directory, then the app's folder. Null: no folder.</summary>
    public string? Directory { get; set; } = "agents";

    /// <summary>The folder to read, or null when none is configured or found.</summary>
    public string? ResolveDirectory()
    {
        if (string.IsNullOrWhiteSpace(Directory)) return null;
        if (Path.IsPathRooted(Directory)) return Directory;
        var fromCurrent = Path.GetFullPath(Directory);
        if (System.IO.Directory.Exists(fromCurrent)) return fromCurrent;
        var fromApp = Path.Combine(AppContext.BaseDirectory, Directory);
        return System.IO.Directory.Exists(fromApp) ? fromApp : null;
    }
}
