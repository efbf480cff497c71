using GptOss.Engine.Checkpoints;
using GptOss.Engine.Kernels;
using GptOss.Engine.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace GptOss.Engine.Forward;

/// <summary>
/// A dense projection on the CPU kernels: float32 rows through the GEMV/small GEMM of the weights' format (BF16, or float32 in
/// the float32 mode), reading the mapped weights directly on the kernels' threads (decode is bandwidth-bound).
/// </summary>
internal sealed unsafe class RowProjection
{
    private readonly Linear _linear;   // kept alive: the kernel reads its memory
    private readonly CpuKernels _kernels;
    private readonly Bf16Matrix _bf16;
    private readonly F32Matrix _f32;   // used when the weights are float32
    private readonly Bias _bias;

    public RowProjection(Linear linear, CpuKernels kernels)
    {
        var (weight, bias) = (linear.Weight, linear.Bias);
        var type = weight.dtype;
        if (weight.device.type != DeviceType.CPU || type is not (ScalarType.BFloat16 or ScalarType.Float32)
            || !weight.is_contiguous() || bias is { } b && (b.dtype != type || !b.is_contiguous()))
            throw new ArgumentException($"the CPU kernels take contiguous BF16 or float32 weights in CPU memory, not {type} on {weight.device}");
        (_linear, _kernels) = (linear, kernels);
        int rows = (int)weight.shape[0], cols = (int)weight.shape[1];
        var data = MappedTensor.Data(weight);
        var biasData = bias is null ? null : MappedTensor.Data(bias);
        if (type == ScalarType.BFloat16)
        {
            _bf16 = new Bf16Matrix((ushort*)data, rows, cols);
            _bias = bias is null ? Bias.None : Bias.Bf16((ushort*)biasData);
        }
        else
        {
            _f32 = new F32Matrix((float*)data, rows, cols);
            _bias = bias is null ? Bias.None : Bias.F32((float*)biasData);
        }
        Rows = rows;
    }

    /// <summary>Output width.</summary>
    public int Rows { get; }

    /// <summary>The same projection on tensors (several rows: libtorch's GEMM).</summary>
    public Linear Linear => _linear;

    /// <summary>
    /// y = W·x + b for <paramref name="count"/> float32 rows (x: [count, in], y: [count, out]), each weight row read once
    /// for all of them; each row's result is what it gets alone.
    /// </summary>
    public void Apply(float* x, float* y, int count = 1)
    {
        if (_bf16.Data != null) _kernels.Gemm(_bf16, x, count, y, _bias);
        else _kernels.Gemm(_f32, x, count, y, _bias);
    }

    /// <summary>
    /// <paramref name="x"/> [T, in] → [T, out] in x's dtype: one row through the kernel (a prompt's last token, a
    /// one-token prompt), several through libtorch.
    /// </summary>
    public Tensor Forward(Tensor x)
    {
        if (x.shape[0] != 1) return _linear.Forward(x);
        var input = x.to(ScalarType.Float32).contiguous();
        var output = torch.empty([1, Rows], ScalarType.Float32);
        Apply((float*)MappedTensor.Data(input), (float*)MappedTensor.Data(output));
        GC.KeepAlive(input);
        return output.to(x.dtype);
    }
}
