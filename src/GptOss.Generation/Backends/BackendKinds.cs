namespace GptOss.Generation;

/// <summary>The backend kinds <c>GptOss:Backend:Kind</c> and <c>--backend</c> accept (case-insensitive).</summary>
public static class BackendKinds
{
    public const string Local = "Local";
    public const string Vllm = "Vllm";
    public const string Sglang = "Sglang";
    public const string LlamaCpp = "LlamaCpp";

    public static IReadOnlyList<string> All { get; } = [Local, Vllm, Sglang, LlamaCpp];

    /// <summary>The canonical spelling of <paramref name="kind"/>.</summary>
    /// <exception cref="InvalidOperationException">Not a known kind.</exception>
    public static string Normalize(string? kind) =>
        All.FirstOrDefault(k => string.Equals(k, kind?.Trim(), StringComparison.OrdinalIgnoreCase))
        ?? throw new InvalidOperationException(
            $"{GenerationBackendOptions.SectionName}:{nameof(GenerationBackendOptions.Kind)} must be one of {string.Join(", ", All)}, not '{kind}'");
}
