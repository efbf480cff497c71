using System.Text.RegularExpressions;

namespace GptOss.Hub;

/// <summary>Checks on names the hub sends back, before any of them becomes a path on disk.</summary>
internal static partial class RepoPaths
{
    [GeneratedRegex("^[0-9a-f]{40}$|^[0-9a-f]{64}$")]
    private static partial Regex BlobNamePattern();

    /// <summary>A repository file path: relative, '/'-separated, no empty, '.' or '..' segment, no '\\' or control character.</summary>
    public static string CheckFilePath(string path)
    {
        bool bad = path.Length is 0 or > 1024 || path.StartsWith('/') || path.Contains('\\') || path.Any(char.IsControl)
            || path.Split('/').Any(s => s is "" or "." or ".." || s.EndsWith(".incomplete", StringComparison.Ordinal));
        return bad ? throw new HubException($"the hub listed a file with an unsafe path '{path}'; refusing to write it") : path;
    }

    /// <summary>A blob id (sha1) or LFS oid (sha256): lowercase hex, so it can name a file in blobs/.</summary>
    public static string CheckBlobName(string name, string path) =>
        BlobNamePattern().IsMatch(name) ? name : throw new HubException($"{path}: the hub gave '{name}' as its blob id; expected 40 or 64 hex digits");
}
