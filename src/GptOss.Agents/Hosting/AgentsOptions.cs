namespace GptOss.Agents;

/// <summary>
/// The <c>Agents</c> configuration section: where agent files live. Definitions may also be written inline
/// under <c>Agents:Definitions:{name}</c>; they are read by <see cref="AgentDefinitionLoader"/> (with validation),
/// not bound here.
/// </summary>
public sealed class AgentsOptions
{
    /// <summary>
    /// Folder of <c>*.yaml</c> agent files. A relative path resolves against the settings file's folder (when
    /// known), then the current folder, then the app's folder: the first that exists. Null or empty: no folder.
    /// </summary>
    public string? Directory { get; set; } = "agents";

    /// <summary>The folder to read, or null when none is configured or found.</summary>
    public string? ResolveDirectory(string? settingsDirectory = null)
    {
        if (string.IsNullOrWhiteSpace(Directory)) return null;
        if (Path.IsPathRooted(Directory)) return Directory;
        return new[] { settingsDirectory, System.IO.Directory.GetCurrentDirectory(), AppContext.BaseDirectory }
            .OfType<string>()
            .Select(dir => Path.GetFullPath(Path.Combine(dir, Directory)))
            .FirstOrDefault(System.IO.Directory.Exists);
    }
}
