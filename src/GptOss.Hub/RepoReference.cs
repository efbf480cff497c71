using System.Text.RegularExpressions;

namespace GptOss.Hub;

/// <summary>A model repository on the hub and a revision of it: <c>org/name[@revision]</c>, or an alias such as <c>gpt-oss-20b</c>.</summary>
public sealed partial record RepoReference(string Repo, string Revision)
{
    public const string DefaultRevision = "main";

    /// <summary>Short names for the published models.</summary>
    private static readonly Dictionary<string, string> Aliases = new(StringComparer.OrdinalIgnoreCase)
    {
        ["gpt-oss-20b"] = "openai/gpt-oss-20b",
        ["gpt-oss-120b"] = "openai/gpt-oss-120b",
    };

    /// <summary>The hub's rule for names (letters, digits, '-', '_', '.'), without '--' or '..' which the cache layout and URLs cannot carry.</summary>
    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._-]{0,95}/[A-Za-z0-9][A-Za-z0-9._-]{0,95}$")]
    private static partial Regex RepoPattern();

    [GeneratedRegex(@"^[A-Za-z0-9._/-]{1,255}$")]
    private static partial Regex RevisionPattern();

    [GeneratedRegex("^[0-9a-f]{40}$")]
    private static partial Regex CommitPattern();

    /// <summary>True when <paramref name="text"/> is a full commit id (40 lowercase hex digits).</summary>
    public static bool IsCommit(string text) => CommitPattern().IsMatch(text);

    /// <summary>The hub cache folder name of the repository: <c>models--org--name</c>.</summary>
    public string CacheFolderName => "models--" + Repo.Replace("/", "--", StringComparison.Ordinal);

    public override string ToString() => Revision == DefaultRevision ? Repo : $"{Repo}@{Revision}";

    /// <summary>Parses <c>org/name[@revision]</c> or an alias; null when <paramref name="text"/> is not of that form.</summary>
    public static RepoReference? TryParse(string text)
    {
        int at = text.IndexOf('@', StringComparison.Ordinal);
        string repo = at < 0 ? text : text[..at];
        string revision = at < 0 ? DefaultRevision : text[(at + 1)..];
        if (Aliases.TryGetValue(repo, out var full)) repo = full;
        if (!RepoPattern().IsMatch(repo) || repo.Contains("--", StringComparison.Ordinal) || repo.Contains("..", StringComparison.Ordinal))
            return null;
        if (!RevisionPattern().IsMatch(revision) || revision.Split('/').Any(s => s is "" or "." or ".."))
            return null;
        return new RepoReference(repo, revision);
    }

    /// <summary>Parses like <see cref="TryParse"/>; a clear error naming the expected form otherwise.</summary>
    public static RepoReference Parse(string text) =>
        TryParse(text) ?? throw new HubException($"'{text}' is not a model repository: expected org/name[@revision] (e.g. openai/gpt-oss-20b) or {string.Join(", ", Aliases.Keys)}");
}
