using GptOss.Generation;

namespace GptOss.Remote.Generation;

/// <summary>
/// The sampling every request states in full, because each server's defaults differ from gpt-oss's (llama.cpp:
/// temperature 0.8, top_k 40, top_p 0.95, min_p 0.05): the caller's temperature and top_p, top_k and min_p off.
/// </summary>
internal static class SamplingFields
{
    /// <summary>At least one new token: the servers reject a limit of 0.</summary>
    public static int MaxNewTokens(GenerationOptions options) => Math.Max(1, options.MaxNewTokens);

    /// <summary>"top_k off" as vLLM and SGLang spell it (older vLLM refuses 0).</summary>
    public const int TopKOff = -1;

    /// <summary>"top_k off" as llama.cpp spells it.</summary>
    public const int TopKOffLlamaCpp = 0;

    public const float MinPOff = 0f;
}
