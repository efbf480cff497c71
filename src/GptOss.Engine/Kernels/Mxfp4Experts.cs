namespace GptOss.Engine.Kernels;

/// <summary>
/// One layer's stacked MXFP4 experts as in the checkpoint: gate_up [E, 2I, H/32, 16] + scales
/// [E, 2I, H/32] + bias [E, 2I] (rows interleaved gate, up, gate, up, ...), down [E, H, I/32, 16] +
/// scales [E, H, I/32] + bias [E, H].
/// </summary>
internal readonly unsafe struct Mxfp4Experts
{
    private readonly byte* _gateUpBlocks, _gateUpScales, _downBlocks, _downScales;
    private readonly Bias _gateUpBias, _downBias;
    // Each expert's scale bounds, learnt on its first use (reading them all at load would fault in every scale page).
    private readonly ScaleBounds?[] _gateUpBounds, _downBounds;

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
        _gateUpBounds = new ScaleBounds?[count];
        _downBounds = new ScaleBounds?[count];
    }

    /// <summary>W1 of expert e: [2I, H].</summary>
    public Mxfp4Matrix GateUp(int e)
    {
        long rows = 2L * Intermediate, blocks = Hidden / Mxfp4Matrix.BlockSize;
        var w = new Mxfp4Matrix(_gateUpBlocks + Check(e) * rows * blocks * 16, _gateUpScales + e * rows * blocks, (int)rows, Hidden);
        return _gateUpBounds[e] is { } bounds ? w.WithKnownScales(bounds) : w;
    }

    /// <summary>W2 of expert e: [H, I].</summary>
    public Mxfp4Matrix Down(int e)
    {
        long rows = Hidden, blocks = Intermediate / Mxfp4Matrix.BlockSize;
        var w = new Mxfp4Matrix(_downBlocks + Check(e) * rows * blocks * 16, _downScales + e * rows * blocks, (int)rows, Intermediate);
        return _downBounds[e] is { } bounds ? w.WithKnownScales(bounds) : w;
    }

    /// <summary>
    /// Reads expert <paramref name="e"/>'s scales once, so that <see cref="GateUp"/> and <see cref="Down"/> carry their
    /// bounds from then on. Not thread-safe: call it before handing the expert to parallel work.
    /// </summary>
    public void LearnScaleBounds(int e)
    {
        if (_gateUpBounds[Check(e)] is null) _gateUpBounds[e] = GateUp(e).WithScaleBounds().KnownScales;
        if (_downBounds[e] is null) _downBounds[e] = Down(e).WithScaleBounds().KnownScales;
    }

    public Bias GateUpBias(int e) => _gateUpBias.Offset(Check(e) * 2L * Intermediate);

    public Bias DownBias(int e) => _downBias.Offset(Check(e) * (long)Hidden);

    private long Check(int e) =>
        (uint)e < (uint)Count ? e : throw new ArgumentOutOfRangeException(nameof(e), e, $"expert index outside [0, {Count})");
}
