using GptOss.Engine.Kernels;
using GptOss.Engine.Model;

namespace GptOss.Engine.Checkpoints;

/// <summary>
/// A "script model": a checkpoint with the real vocabulary whose greedy decoding emits a chosen token sequence, for
/// end-to-end tests through the real loader, kernels, sampler and KV cache (here or in another engine).
/// Every attention and MoE weight is zero, so each block adds nothing to the residual stream; token
/// <c>chain[i]</c> embeds as the basis vector e_i, and the unembedding row of <c>chain[i+1]</c> is
/// (<see cref="Margin"/>/sqrt(hidden))·e_i, so after the final RMSNorm (gain 1) the next token's logit is
/// <see cref="Margin"/> and every other logit 0: a bigram table that sampling at temperature 1 follows too.
/// </summary>
public static class ScriptCheckpoint
{
    /// <summary>The scripted token's logit: e^-32 · 201088 ≈ 3e-9 is all the probability left to the other tokens at temperature 1.</summary>
    public const float Margin = 32f;

    /// <summary>
    /// Writes the checkpoint (Hugging Face layout, one layer) into <paramref name="directory"/>: after a prompt ending
    /// in <paramref name="after"/>, greedy decoding emits <paramref name="tokens"/> in order. A bigram cannot tell two
    /// occurrences of a token apart, so <paramref name="after"/> and <paramref name="tokens"/> must hold no id twice;
    /// end the script with a stop token.
    /// </summary>
    public static void Write(string directory, int after, IReadOnlyList<int> tokens, int vocabularySize = 201_088)
    {
        int[] chain = [after, .. tokens];
        if (tokens.Count == 0) throw new ArgumentException("the script holds no token", nameof(tokens));
        if (chain.Distinct().Count() != chain.Length)
            throw new ArgumentException("the script repeats a token (a bigram model cannot)", nameof(tokens));
        foreach (var token in chain)
        {
            if (token < 0 || token >= vocabularySize)
                throw new ArgumentException($"token {token} is outside the vocabulary of {vocabularySize}", nameof(tokens));
        }
        // One basis vector per token that has a successor; MXFP4 rows need a multiple of 32 columns, the kernels 64.
        int hidden = Math.Max(64, (chain.Length - 1 + 63) / 64 * 64);

        RandomCheckpoint.Write(directory, new RandomCheckpointOptions
        {
            Preset = "tiny",
            Layers = 1,
            Vocab = vocabularySize,
            Customize = c => c with
            {
                HiddenSize = hidden,
                EosTokenId = Math.Min(200_002, vocabularySize - 1),
                PadTokenId = Math.Min(199_999, vocabularySize - 2),
            },
        });
        // Same names, dtypes and shapes as the random checkpoint; only the values change.
        var file = Path.Combine(directory, "model.safetensors");
        SafetensorsEntry[] layout;
        using (var random = SafetensorsFile.Open(file))
            layout = [.. random.Tensors.Values.OrderBy(t => t.Begin)];
        var names = new TensorNames(CheckpointLayout.HuggingFace);
        var norms = new HashSet<string> { names.AttentionNorm(0), names.MlpNorm(0), names.FinalNorm };
        var successorRows = new Dictionary<int, int>();   // unembedding row (token) -> basis index
        for (var i = 0; i + 1 < chain.Length; i++) successorRows[chain[i + 1]] = i;
        var embedded = new Dictionary<int, int>();        // embedding row (token) -> basis index
        for (var i = 0; i + 1 < chain.Length; i++) embedded[chain[i]] = i;

        SafetensorsWriter.Write(file, [.. layout.Select(t => new TensorToWrite(t.Name, t.DType, t.Shape,
            t.Name == names.Embedding ? BasisRows(embedded, hidden, One)
            : t.Name == names.Unembedding ? BasisRows(successorRows, hidden, Fp.FloatToBf16(Margin / MathF.Sqrt(hidden)))
            : norms.Contains(t.Name) ? Ones
            : Zeros))]);
    }

    private static readonly ushort One = Fp.FloatToBf16(1f);

    private static void Zeros(long offset, Span<byte> span) => span.Clear();

    private static void Ones(long offset, Span<byte> span)
    {
        for (var j = 0; j < span.Length; j += 2)
        {
            span[j] = (byte)One;
            span[j + 1] = (byte)(One >> 8);
        }
    }

    /// <summary>A [vocabulary, hidden] BF16 matrix, zero except <paramref name="value"/> at (token, basis index) for each listed row.</summary>
    private static Action<long, Span<byte>> BasisRows(IReadOnlyDictionary<int, int> rows, int hidden, ushort value) => (offset, span) =>
    {
        span.Clear();
        long rowBytes = hidden * 2L;
        foreach (var (token, column) in rows)
        {
            var at = token * rowBytes + column * 2 - offset;
            if (at < 0 || at + 1 >= span.Length) continue;
            span[(int)at] = (byte)value;
            span[(int)at + 1] = (byte)(value >> 8);
        }
    };
}
