namespace GptOss.Tools.Execution;

/// <summary>
/// Which tool a recipient names: the tool itself (<c>python</c>), one of its functions (<c>browser.search</c>),
/// or, as gpt-oss does, a <c>functions.*</c> call the model meant for a built-in tool.
/// </summary>
public static class ToolRouting
{
    private static readonly Dictionary<string, string> Reroutes = new(StringComparer.Ordinal)
    {
        ["functions.python"] = "python",
        ["functions.search"] = "browser.search",
        ["functions.open"] = "browser.open",
        ["functions.find"] = "browser.find",
    };

    /// <summary>The built-in tool (<c>python</c>, <c>browser</c>) a call to <c>functions.{functionName}</c> is meant for, or null.</summary>
    public static string? BuiltinToolFor(string functionName) =>
        Reroutes.TryGetValue($"functions.{functionName}", out var builtin) ? Resolve(builtin)?.Tool : null;

    /// <summary>The recipient as the tool expects it and the tool's name, or null for a malformed recipient.</summary>
    internal static (string Tool, string Recipient)? Resolve(string recipient)
    {
        recipient = recipient.Trim();
        if (Reroutes.TryGetValue(recipient, out var builtin)) recipient = builtin;
        if (recipient.Length == 0) return null;
        var dot = recipient.IndexOf('.', StringComparison.Ordinal);
        return (dot < 0 ? recipient : recipient[..dot], recipient);
    }
}
