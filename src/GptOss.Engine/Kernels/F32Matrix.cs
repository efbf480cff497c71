namespace GptOss.Engine.Kernels;

/// <summary>A row-major float32 weight matrix [rows, cols] (the float32 activation mode's converted weights).</summary>
internal readonly unsafe struct F32Matrix
{
    public readonly float* Data;
    public readonly int Rows;
    public readonly int Cols;

    public F32Matrix(float* data, int rows, int cols)
    {
        if (data == null) throw new ArgumentNullException(nameof(data));
        if (rows <= 0) throw new ArgumentOutOfRangeException(nameof(rows), rows, "rows must be positive");
        if (cols <= 0) throw new ArgumentOutOfRangeException(nameof(cols), cols, "cols must be positive");
        Data = data;
        Rows = rows;
        Cols = cols;
    }

    public float* Row(int row) => Data + (long)row * Cols;
}
