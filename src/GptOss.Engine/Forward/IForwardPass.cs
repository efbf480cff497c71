using GptOss.Engine.Model;
using TorchSharp;

namespace GptOss.Engine.Forward;

/// <summary>
/// The gpt-oss forward pass of one sequence through its KV cache: embedding, L × (attention, MoE) pre-norm residual
/// blocks, final norm, unembedding. One implementation per way of computing it, chosen once at load
/// (<see cref="ForwardPasses.Create"/>); siblings to come: a batch of sequences decoded together, a CUDA pass.
/// </summary>
internal interface IForwardPass : IDisposable
{
    /// <summary>
    /// Runs <paramref name="tokens"/> at positions <c>start..</c> (keys before <paramref name="start"/> come from
    /// <paramref name="cache"/>, which also receives the new ones); float32 logits [T, V], or [1, V] of the last token
    /// unless <paramref name="allPositions"/>. Tensors it makes belong to the caller's dispose scope.
    /// </summary>
    torch.Tensor Prefill(IReadOnlyList<int> tokens, int start, KvCache cache, bool allPositions);

    /// <summary>One generated <paramref name="token"/> at <paramref name="position"/>: its float32 logits into <paramref name="logits"/> [V].</summary>
    void DecodeOne(int token, int position, KvCache cache, Span<float> logits);

    /// <summary>
    /// One generated token for each of several sequences: <paramref name="tokens"/>[i] at <paramref name="positions"/>[i]
    /// through <paramref name="caches"/>[i], its float32 logits into row i of <paramref name="logits"/> [N · V]. Each row
    /// equals what <see cref="DecodeOne"/> gives for that sequence alone; a pass that can share the weight reads across
    /// the batch overrides this one-after-another default.
    /// </summary>
    void DecodeBatch(ReadOnlySpan<int> tokens, ReadOnlySpan<int> positions, IReadOnlyList<KvCache> caches, Span<float> logits)
    {
        int vocabulary = logits.Length / Math.Max(1, tokens.Length);
        for (int i = 0; i < tokens.Length; i++)
            DecodeOne(tokens[i], positions[i], caches[i], logits.Slice(i * vocabulary, vocabulary));
    }
}
