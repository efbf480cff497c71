namespace GptOss.Tools.Browser.Corpus;

/// <summary>Path checks for the corpus: a path is used only when, fully resolved, it lies under the root through no linked folder.</summary>
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

    /// <summary>Whether <paramref name="fullPath"/> lies under the root and no folder between them is a link.</summary>
    public static bool ReachableWithoutLinks(string root, string fullPath)
    {
        if (Inside(root, Relative(root, fullPath)) != fullPath) return false;
        for (var dir = new FileInfo(fullPath).Directory; dir is not null && dir.FullName.Length > root.Length; dir = dir.Parent)
            if (dir.LinkTarget is not null) return false;
        return true;
    }
}
