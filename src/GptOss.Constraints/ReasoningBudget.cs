using GptOss.Harmony;

namespace GptOss.Constraints;

/// <summary>
/// How many tokens a constrained request's analysis may take before the engine ends it and forces the answer. Besides
/// this cap, the analysis never takes more than three quarters of what <c>max_tokens</c> leaves beyond the shortest
/// answer, so the answer always has room.
/// </summary>
public static class ReasoningBudget
{
    public const int Low = 1024;
    public const int Medium = 4096;
    public const int High = 16384;

    /// <summary>The default cap for <paramref name="effort"/> (medium when none is set, harmony's default).</summary>
    public static int DefaultFor(ReasoningEffort? effort) => effort switch
    {
        ReasoningEffort.Low => Low,
        ReasoningEffort.High => High,
        _ => Medium,
    };

    /// <summary>The analysis' share of a call: <paramref name="cap"/>, but at most 3/4 of what is left beyond <paramref name="shortestAnswer"/>.</summary>
    internal static int ForCall(int cap, int maxTokens, int shortestAnswer) =>
        Math.Min(cap, Math.Max(0, (maxTokens - shortestAnswer) / 4 * 3));
}
