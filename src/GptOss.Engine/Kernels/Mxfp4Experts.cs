namespace GptOss.Engine.Kernels;

/// <summary>
/// One layer's stacked MXFP4 experts as in the checkpoint: gate_up [E, 2I, H/32, 16] + scales
/// [E, 2I, H/32] + bias [E, 2I] (rows interleaved gate, up, gate, up, ...), down [E, H, I/32, 16] +
/// scales [E, H, I/32] + bias [E, H].
/// </summary>
public readonly unsafe struct Mxfp4Experts
{
    private readonly byte* _gateUpBlocks, _gateUpScales, _downBlocks, _downScales;
    private readonly Bias _gateUpBias, _downBias;

    public readonly int Count;
    public readonly int Hidden;
    public readonly int Intermediate;

    public Mxfp4Experts(
        byte* gateUpBlocks, byte* gateUpScales, Bias gateUpBias,
        byte* downBlocks, byte* downScales, Bias downBias,
        int count, int hidden, int intermediate)
    {
        if (count <= 0) throw new ArgumentOutOfRangeException(nameof(count), count, "expert count must be positive");
        // Validates both shapes once (block multiples, null pointers).
        _ = new Mxfp4Matrix(gateUpBlocks, gateUpScales, 2 * intermediate, hidden);
        _ = new Mxfp4Matrix(downBlocks, downScales, hidden, intermediate);
        _gateUpBlocks = gateUpBlocks;
        _gateUpScales = gateUpScales;
        _gateUpBias = gateUpBias;
        _downBlocks = downBlocks;
        _downScales = downScales;
        _downBias = downBias;
        (Count, Hidden, Intermediate) = (count, hidden, intermediate);
    }

    /// <summary>W1 of expert e: [2I, H].</summary>
    public Mxfp4Matrix GateUp(int e)
    {
        long rows = 2L * Intermediate, blocks = Hidden / Mxfp4Matrix.BlockSize;
        return new Mxfp4Matrix(_gateUpBlocks + Check(e) * rows * blocks * 16, _gateUpScales + e * rows * blocks, (int)rows, Hidden);
    }

    /// <summary>W2 of expert e: [H, I].</summary>
    public Mxfp4Matrix Down(int e)
    {
        long rows = Hidden, blocks = Intermediate / Mxfp4Matrix.BlockSize;
        return new Mxfp4Matrix(_downBlocks + Check(e) * rows * blocks * 16, _downScales + e * rows * blocks, (int)rows, Intermediate);
    }

    public Bias GateUpBias(int e) => _gateUpBias.Offset(Check(e) * 2L * Intermediate);

    public Bias DownBias(int e) => _downBias.Offset(Check(e) * (long)Hidden);

    private long Check(int e) =>
        (uint)e < (uint)Count ? e : throw new ArgumentOutOfRangeException(nameof(e), e, $"expert index outside [0, {Count})");
}
