namespace GptOss.Engine.Kernels;

/// <summary>
/// An MXFP4 weight matrix [rows, cols] as stored in the checkpoint: <see cref="Blocks"/> is
/// [rows, cols/32, 16] bytes (byte j of a block holds element 2j in its low nibble and 2j+1 in its
/// high nibble), <see cref="Scales"/> is [rows, cols/32] E8M0 exponents (multiplier 2^(s-127)).
/// Points into memory the caller keeps alive (usually a memory-mapped checkpoint).
/// </summary>
internal readonly unsafe struct Mxfp4Matrix
{
    public const int BlockSize = 32;
    public const int BlockBytes = 16;

    public readonly byte* Blocks;
    public readonly byte* Scales;
    public readonly int Rows;
    public readonly int Cols;

    /// <summary>The scales' smallest and largest exponent where the owner knows them (<see cref="WithScaleBounds"/>).</summary>
    public ScaleBounds? KnownScales { get; private init; }

    public Mxfp4Matrix(byte* blocks, byte* scales, int rows, int cols)
    {
        if (blocks == null || scales == null) throw new ArgumentNullException(blocks == null ? nameof(blocks) : nameof(scales));
        if (rows <= 0) throw new ArgumentOutOfRangeException(nameof(rows), rows, "rows must be positive");
        if (cols <= 0 || cols % BlockSize != 0)
            throw new ArgumentOutOfRangeException(nameof(cols), cols, $"MXFP4 columns must be a positive multiple of {BlockSize}");
        Blocks = blocks;
        Scales = scales;
        Rows = rows;
        Cols = cols;
    }

    /// <summary>Blocks per row (cols / 32).</summary>
    public int BlocksPerRow => Cols / BlockSize;

    /// <summary>Bytes read by one pass over the matrix (packed codes plus scales).</summary>
    public long ByteCount => (long)Rows * BlocksPerRow * (BlockBytes + 1);

    public byte* RowBlocks(int row) => Blocks + (long)row * BlocksPerRow * BlockBytes;

    public byte* RowScales(int row) => Scales + (long)row * BlocksPerRow;

    /// <summary>The rows [start, start+count) as a matrix of their own.</summary>
    public Mxfp4Matrix Slice(int start, int count)
    {
        if ((uint)start > (uint)Rows || count <= 0 || count > Rows - start)
            throw new ArgumentOutOfRangeException(nameof(count), $"rows [{start}, {start + count}) outside [0, {Rows})");
        return new Mxfp4Matrix(RowBlocks(start), RowScales(start), count, Cols) { KnownScales = KnownScales };
    }

    /// <summary>This matrix with its scales' bounds attached, found by reading every scale once.</summary>
    public Mxfp4Matrix WithScaleBounds() => WithKnownScales(ScaleBounds.Of(Scales, (long)Rows * BlocksPerRow));

    /// <summary>This matrix with bounds read before (they must be its scales' own: the kernels trust them).</summary>
    internal Mxfp4Matrix WithKnownScales(ScaleBounds bounds) => this with { KnownScales = bounds };
}
