using GptOss.Harmony;

namespace GptOss.Constraints.Automata;

/// <summary>
/// The automata's alphabet: the 256 byte values of ordinary tokens, then the harmony special tokens a constrained
/// answer's frame uses, each one symbol (a special token is never spelled out in bytes).
/// </summary>
internal static class Symbols
{
    public const int Channel = 256;
    public const int Message = 257;
    public const int End = 258;
    public const int Start = 259;
    public const int Return = 260;
    public const int Call = 261;
    public const int Constrain = 262;
    public const int Count = 263;

    /// <summary>The special token ids, indexed by symbol - 256.</summary>
    public static ReadOnlySpan<int> SpecialTokenIds =>
        [HarmonyTokens.Channel, HarmonyTokens.Message, HarmonyTokens.End, HarmonyTokens.Start, HarmonyTokens.Return, HarmonyTokens.Call, HarmonyTokens.Constrain];

    /// <summary>The symbol of a frame special token, or -1 for any other special token.</summary>
    public static int OfSpecialToken(int token) => SpecialTokenIds.IndexOf(token) is var i and >= 0 ? 256 + i : -1;
}
