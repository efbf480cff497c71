using System.Text.RegularExpressions;

namespace GptOss.Hub;

/// <summary>
/// Which files of a repository a pull takes: fnmatch globs as huggingface_hub's allow/ignore patterns ('*' also crosses
/// '/', a pattern ending in '/' means everything under it). With no --include, everything except <see cref="DefaultExcludes"/>
/// (what the engine does not load); an --include replaces that default, so <c>--include 'original/*'</c> pulls the OpenAI layout.
/// </summary>
public sealed class FileSelection
{
    /// <summary>The OpenAI original layout and the Metal export: not loaded from the root layout, and as large again.</summary>
    public static readonly IReadOnlyList<string> DefaultExcludes = ["original/*", "metal/*"];

    private readonly Regex[] _includes;
    private readonly Regex[] _excludes;

    public FileSelection(IEnumerable<string> includes, IEnumerable<string> excludes)
    {
        _includes = includes.Select(Glob).ToArray();
        _excludes = excludes.Concat(_includes.Length == 0 ? DefaultExcludes : []).Select(Glob).ToArray();
    }

    public static FileSelection Default { get; } = new([], []);

    public bool Includes(string path) =>
        (_includes.Length == 0 || _includes.Any(g => g.IsMatch(path))) && !_excludes.Any(g => g.IsMatch(path));

    private static Regex Glob(string pattern)
    {
        if (pattern.EndsWith('/')) pattern += "*";
        var regex = Regex.Escape(pattern).Replace(@"\*", ".*", StringComparison.Ordinal).Replace(@"\?", ".", StringComparison.Ordinal);
        // Non-backtracking: a pattern of many '*' must not take exponential time.
        return new Regex("^" + regex + "$", RegexOptions.CultureInvariant | RegexOptions.Singleline | RegexOptions.NonBacktracking);
    }
}
