namespace GptOss.Engine.Kernels;

/// <summary>An optional bias vector added to a matmul's output: none, BF16 bits or float32.</summary>
internal readonly unsafe struct Bias
{
    private readonly void* _data;
    private readonly bool _isBf16;

    private Bias(void* data, bool isBf16)
    {
        _data = data;
        _isBf16 = isBf16;
    }

    public static Bias None => default;

    public static Bias Bf16(ushort* data) => new(data, true);

    public static Bias F32(float* data) => new(data, false);

    public bool IsNone => _data == null;

    /// <summary>The bias starting <paramref name="elements"/> further on (a row range, one expert).</summary>
    public Bias Offset(long elements) => _data == null ? this
        : new(_isBf16 ? ((ushort*)_data) + elements : ((float*)_data) + elements, _isBf16);

    /// <summary>Element i as float (0 when there is no bias).</summary>
    public float this[int i] => _data == null ? 0f
        : _isBf16 ? Fp.Bf16ToFloat(((ushort*)_data)[i]) : ((float*)_data)[i];
}
