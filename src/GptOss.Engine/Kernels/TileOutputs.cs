using System.Runtime.Intrinsics;

namespace GptOss.Engine.Kernels;

/// <summary>What <see cref="Mxfp4TileGemm"/> does with a tile's sums once all tokens went through it.</summary>
internal unsafe interface ITileOutput
{
    /// <summary>
    /// Rows [rowStart, rowStart + rowCount) of the matrix are done: row r's sum for token t (t &lt; the padded token
    /// count) is <c>sums[(r − rowStart)·rowFloats + t]</c>.
    /// </summary>
    void Rows(int rowStart, int rowCount, float* sums, int rowFloats);
}

/// <summary>The plain sums, y [tokens, rows] (tests, benchmarks).</summary>
internal readonly unsafe struct TileSums(float* y, int tokens, int rows) : ITileOutput
{
    public void Rows(int rowStart, int rowCount, float* sums, int rowFloats)
    {
        for (int r = 0; r < rowCount; r++)
            for (int t = 0; t < tokens; t++)
                y[(long)t * rows + rowStart + r] = sums[r * rowFloats + t];
    }
}

/// <summary>
/// gate_up's sums to the down GEMM's packed tokens, as the BF16 tensor pass: + bias, rounded to BF16 (the linear's
/// output), SwiGLU (<see cref="SwiGlu.Bf16"/>; gate = even rows, linear = odd), and activations 2p, 2p + 1 (rows 4p..4p+3)
/// stored as k-pair p. Tiles start at multiples of four rows.
/// </summary>
internal readonly unsafe struct TileSwiGlu(Bias bias, float limit, TileTokens activations, uint* packed) : ITileOutput
{
    public void Rows(int rowStart, int rowCount, float* sums, int rowFloats)
    {
        for (int q = 0; q < rowCount / 4; q++)
        {
            int row = rowStart + 4 * q, pair = row / 4;
            var (gate0, up0) = (Vector512.Create(bias[row]), Vector512.Create(bias[row + 1]));
            var (gate1, up1) = (Vector512.Create(bias[row + 2]), Vector512.Create(bias[row + 3]));
            float* s = sums + 4 * q * rowFloats;
            for (int t = 0; t < activations.Padded; t += 16)
            {
                var a0 = SwiGlu.Bf16(Fp.RoundToBf16(Vector512.Load(s + t) + gate0), Fp.RoundToBf16(Vector512.Load(s + rowFloats + t) + up0), limit);
                var a1 = SwiGlu.Bf16(Fp.RoundToBf16(Vector512.Load(s + 2 * rowFloats + t) + gate1), Fp.RoundToBf16(Vector512.Load(s + 3 * rowFloats + t) + up1), limit);
                var pairBits = (a0.AsUInt32() >> 16) | (a1.AsUInt32() & Vector512.Create(0xFFFF0000u));
                pairBits.Store(packed + activations.Index(t, pair));
            }
        }
    }
}

/// <summary>
/// down's sums into the layer's float32 output as the tensor pass adds an expert: + bias, rounded to BF16 (the
/// linear's output), then <c>output[token] += weight·y</c> (the product rounded to float32, then the sum).
/// </summary>
internal readonly unsafe struct TileWeightedSum(Bias bias, int* tokenRows, float* weights, int tokens, float* output, int outputRowFloats) : ITileOutput
{
    public void Rows(int rowStart, int rowCount, float* sums, int rowFloats)
    {
        // y in place, sixteen tokens at a time; then each token's run of rows, contiguous in its output row.
        for (int r = 0; r < rowCount; r++)
        {
            var b = Vector512.Create(bias[rowStart + r]);
            float* s = sums + r * rowFloats;
            for (int t = 0; t < tokens; t += 16) Fp.RoundToBf16(Vector512.Load(s + t) + b).Store(s + t);
        }
        for (int t = 0; t < tokens; t++)
        {
            float w = weights[t];
            float* o = output + (long)tokenRows[t] * outputRowFloats + rowStart;
            for (int r = 0; r < rowCount; r++) o[r] += w * sums[r * rowFloats + t];
        }
    }
}
