namespace GptOss.Harmony;

/// <summary>The special token ids of o200k_harmony that the harmony format uses.</summary>
public static class HarmonyTokens
{
    public const int StartOfText = 199998;
    public const int EndOfText = 199999;
    public const int Return = 200002;
    public const int Constrain = 200003;
    public const int Channel = 200005;
    public const int Start = 200006;
    public const int End = 200007;
    public const int Message = 200008;
    public const int Call = 200012;

    /// <summary>First and last special id (harmony registers 1,091 of them).</summary>
    public const int FirstSpecial = StartOfText;
    public const int LastSpecial = 201088;

    /// <summary>Sampling stops here: the model finished its answer or addressed a tool.</summary>
    public static IReadOnlySet<int> StopTokensForAssistantActions { get; } = new HashSet<int> { Return, Call };

    /// <summary>Every token that closes a message (what the parser stops a message on).</summary>
    public static IReadOnlySet<int> StopTokens { get; } = new HashSet<int> { Return, End, Call };
}
