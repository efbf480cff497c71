using GptOss.Engine.Kernels;

namespace GptOss.Engine.Tests.Kernels;

/// <summary>A random MXFP4 matrix in native memory plus its managed copy for the reference.</summary>
internal sealed unsafe class Mxfp4Data : IDisposable
{
    private readonly NativeArray<byte> _blocks, _scales;

    public Mxfp4Data(byte[] blocks, byte[] scales, int rows, int cols)
    {
        (Blocks, Scales, Rows, Cols) = (blocks, scales, rows, cols);
        _blocks = new NativeArray<byte>(blocks);
        _scales = new NativeArray<byte>(scales);
    }

    public static Mxfp4Data Random(Random random, int rows, int cols, Func<Random, long, byte[]>? scales = null) =>
        new(Reference.RandomBytes(random, (long)rows * cols / 2),
            (scales ?? Reference.TypicalScales)(random, (long)rows * cols / 32), rows, cols);

    public byte[] Blocks { get; }
    public byte[] Scales { get; }
    public int Rows { get; }
    public int Cols { get; }

    public Mxfp4Matrix Matrix => new(_blocks.Pointer, _scales.Pointer, Rows, Cols);

    public double this[int row, int col] => Reference.Mxfp4(Blocks, Scales, row, col, Cols);

    public (double Value, double Magnitude) Dot(int row, ReadOnlySpan<float> x) => Reference.Dot(c => this[row, c], x);

    public void Dispose()
    {
        _blocks.Dispose();
        _scales.Dispose();
    }
}

/// <summary>Bias vectors in the three forms the kernels take.</summary>
public enum BiasKind { None, Bf16, F32 }

internal sealed unsafe class BiasData : IDisposable
{
    private readonly NativeArray<ushort> _bf16;
    private readonly NativeArray<float> _f32;

    public BiasData(Random random, BiasKind kind, int count)
    {
        Kind = kind;
        var bits = Reference.RandomBf16(random, count);
        _bf16 = new NativeArray<ushort>(bits);
        _f32 = new NativeArray<float>(bits.Select(b => (float)Reference.Bf16(b)).ToArray());
        Values = kind == BiasKind.None ? new double[count] : bits.Select(Reference.Bf16).ToArray();
    }

    public BiasKind Kind { get; }

    public double[] Values { get; }

    public Bias Bias => Kind switch
    {
        BiasKind.Bf16 => Bias.Bf16(_bf16.Pointer),
        BiasKind.F32 => Bias.F32(_f32.Pointer),
        _ => Bias.None,
    };

    public void Dispose()
    {
        _bf16.Dispose();
        _f32.Dispose();
    }
}
