namespace GptOss.Engine.Kernels;

/// <summary>How the MXFP4 kernels take their activation vector.</summary>
internal enum Mxfp4Activations
{
    /// <summary>float32, exactly as given: the reference's math (the float32 engine mode).</summary>
    Float32,

    /// <summary>
    /// Each 32-column block rounded to integers of at most 2^14 under a power-of-two scale (error at most 2^-14 of the
    /// block's largest magnitude, far below BF16's rounding), so the dot products run on byte multiply-adds: about a
    /// third of the float path's instructions per weight block. Used for BF16 activations; any row the integer path
    /// cannot take (scale 255, a vector with inf/NaN, no AVX-512) goes the float32 way.
    /// </summary>
    Int16,
}
