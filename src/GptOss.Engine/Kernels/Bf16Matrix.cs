namespace GptOss.Engine.Kernels;

/// <summary>A row-major BF16 weight matrix [rows, cols] (raw bits, as in the checkpoint).</summary>
internal readonly unsafe struct Bf16Matrix
{
    public readonly ushort* Data;
    public readonly int Rows;
    public readonly int Cols;

    public Bf16Matrix(ushort* data, int rows, int cols)
    {
        if (data == null) throw new ArgumentNullException(nameof(data));
        if (rows <= 0) throw new ArgumentOutOfRangeException(nameof(rows), rows, "rows must be positive");
        if (cols <= 0) throw new ArgumentOutOfRangeException(nameof(cols), cols, "cols must be positive");
        Data = data;
        Rows = rows;
        Cols = cols;
    }

    public long ByteCount => (long)Rows * Cols * sizeof(ushort);

    public ushort* Row(int row) => Data + (long)row * Cols;
}
