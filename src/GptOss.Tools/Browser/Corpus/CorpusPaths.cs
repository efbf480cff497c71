namespace GptOss.Tools.Browser.Corpus;

/// <summary>Path checks for the corpus: a path is used only when, fully resolved, it lies under the root and is no link.</summary>
internal static class CorpusPaths
{
    /// <summary>The full path of <paramref name="relativePath"/> under <paramref name="root"/>, or null when it would leave the root.</summary>
    public static string? Inside(string root, string relativePath)
    {
        if (relativePath.Contains('\0') || relativePath.Contains('\\')) return null;
        var full = Path.GetFullPath(Path.Combine(root, relativePath.TrimStart('/')));
        var rootWithSeparator = root.EndsWith(Path.DirectorySeparatorChar) ? root : root + Path.DirectorySeparatorChar;
        return full.StartsWith(rootWithSeparator, StringComparison.Ordinal) ? full : null;
    }

    public static string Relative(string root, string fullPath) => Path.GetRelativePath(root, fullPath).Replace('\\', '/');

    /// <summary>The file's text when it is a regular file under the root, reached without links, within the size limit.</summary>
    public static string? ReadInside(string root, string fullPath, long maxBytes)
    {
        if (Inside(root, Relative(root, fullPath)) != fullPath) return null;
        for (var dir = new FileInfo(fullPath).Directory; dir is not null && dir.FullName.Length > root.Length; dir = dir.Parent)
            if (dir.LinkTarget is not null) return null;
        var info = new FileInfo(fullPath);
        if (!info.Exists || info.LinkTarget is not null || info.Length > maxBytes) return null;
        try
        {
            return File.ReadAllText(fullPath);
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
