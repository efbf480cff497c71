namespace GptOss.Hub;

/// <summary>Where the hub is, who we are to it, and where its files are cached: read from the environment as huggingface_hub reads it.</summary>
public sealed record HubSettings
{
    public const string PublicEndpoint = "https://huggingface.co";

    /// <summary>The hub's base URL without a trailing '/': <c>HF_ENDPOINT</c>, else the public hub.</summary>
    public required string Endpoint { get; init; }
    /// <summary>A user access token (<c>HF_TOKEN</c>, else the file huggingface-cli login writes); null = anonymous.</summary>
    public string? Token { get; init; }
    /// <summary>The hub cache folder: <c>HF_HUB_CACHE</c>, else <c>$HF_HOME/hub</c>, else <c>~/.cache/huggingface/hub</c>.</summary>
    public required string CacheRoot { get; init; }

    public static HubSettings FromEnvironment() => From(Environment.GetEnvironmentVariable);

    /// <summary>Reads the settings through <paramref name="variable"/> (an environment lookup).</summary>
    public static HubSettings From(Func<string, string?> variable)
    {
        string? Value(string name) => variable(name) is { Length: > 0 } v ? v : null;
        string home = Value("HF_HOME") ?? Path.Combine(
            Value("XDG_CACHE_HOME") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"), "huggingface");
        string tokenFile = Value("HF_TOKEN_PATH") ?? Path.Combine(home, "token");
        return new HubSettings
        {
            Endpoint = (Value("HF_ENDPOINT") ?? PublicEndpoint).TrimEnd('/'),
            Token = Value("HF_TOKEN") ?? (File.Exists(tokenFile) ? File.ReadAllText(tokenFile).Trim() is { Length: > 0 } t ? t : null : null),
            CacheRoot = Value("HF_HUB_CACHE") ?? Path.Combine(home, "hub"),
        };
    }
}
