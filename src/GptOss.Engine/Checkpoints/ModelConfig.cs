namespace GptOss.Engine.Checkpoints;

/// <summary>
/// The architecture hyper-parameters of a gpt-oss checkpoint, mirroring the Hugging Face <c>config.json</c>
/// (the OpenAI <c>original/config.json</c> is read into the same record, with the defaults OpenAI hard-codes).
/// </summary>
public sealed record ModelConfig
{
    public required int NumHiddenLayers { get; init; }
    public required int NumLocalExperts { get; init; }
    public required int NumExpertsPerTok { get; init; }
    public required int VocabSize { get; init; }
    public required int HiddenSize { get; init; }
    public required int IntermediateSize { get; init; }
    public required int HeadDim { get; init; }
    public required int NumAttentionHeads { get; init; }
    public required int NumKeyValueHeads { get; init; }
    public required int SlidingWindow { get; init; }
    public required int InitialContextLength { get; init; }
    public required int MaxPositionEmbeddings { get; init; }
    public required float SwigluLimit { get; init; }
    public required double RopeTheta { get; init; }
    /// <summary>YaRN parameters; null means plain RoPE.</summary>
    public required RopeScaling? RopeScaling { get; init; }
    public required double RmsNormEps { get; init; }
    /// <summary>Per layer: true where attention uses the sliding window (HF <c>layer_types</c>; even layers otherwise).</summary>
    public required IReadOnlyList<bool> SlidingLayers { get; init; }
    public int? EosTokenId { get; init; }
    public int? PadTokenId { get; init; }

    /// <summary>SwiGLU sigmoid slope; fixed by the architecture (newer HF configs call it <c>swiglu_alpha</c>).</summary>
    public const float SwigluAlpha = 1.702f;

    /// <summary>Parameters in every tensor of the checkpoint, counting each MXFP4 weight as one.</summary>
    public long ParameterCount
    {
        get
        {
            long h = HiddenSize, qd = (long)NumAttentionHeads * HeadDim, kd = (long)NumKeyValueHeads * HeadDim;
            long e = NumLocalExperts, i = IntermediateSize;
            long attention = h + (qd + 2 * kd) * (h + 1) + h * qd + h + NumAttentionHeads;
            long mlp = h + e * h + e + e * 2 * i * (h + 1) + e * h * (i + 1);
            return 2L * VocabSize * h + h + NumHiddenLayers * (attention + mlp);
        }
    }
}

/// <summary>YaRN context extension (<c>rope_scaling</c> with <c>rope_type: "yarn"</c>).</summary>
public sealed record RopeScaling(double Factor, double BetaFast, double BetaSlow, int OriginalMaxPositionEmbeddings, bool Truncate);
