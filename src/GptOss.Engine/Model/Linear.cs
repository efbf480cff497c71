using GptOss.Engine.Checkpoints;
using GptOss.Engine.Kernels;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn.functional;

namespace GptOss.Engine.Model;

/// <summary>
/// <c>y = x·Wᵀ + b</c>. One row of <c>x</c> on the CPU (decode: bandwidth-bound) goes through the GEMV kernel of the
/// weights' format (BF16, or float32 in the float32 mode) on the kernels' threads, reading the weights directly;
/// everything else through libtorch.
/// </summary>
internal sealed unsafe class Linear
{
    private readonly Tensor _weight;
    private readonly Tensor? _bias;
    private readonly CpuKernels? _kernels;
    private readonly Bf16Matrix _bf16;
    private readonly F32Matrix _f32;   // used when the weights are float32
    private readonly Bias _kernelBias;

    public Linear(Tensor weight, Tensor? bias, CpuKernels? kernels)
    {
        _weight = weight;
        _bias = bias;
        var type = weight.dtype;
        if (kernels is null || weight.device.type != DeviceType.CPU || type is not (ScalarType.BFloat16 or ScalarType.Float32)
            || !weight.is_contiguous() || bias is { } b && (b.dtype != type || !b.is_contiguous()))
            return;
        _kernels = kernels;
        int rows = (int)weight.shape[0], cols = (int)weight.shape[1];
        var data = MappedTensor.Data(weight);
        var biasData = bias is null ? null : MappedTensor.Data(bias);
        if (type == ScalarType.BFloat16)
        {
            _bf16 = new Bf16Matrix((ushort*)data, rows, cols);
            _kernelBias = bias is null ? Bias.None : Bias.Bf16((ushort*)biasData);
        }
        else
        {
            _f32 = new F32Matrix((float*)data, rows, cols);
            _kernelBias = bias is null ? Bias.None : Bias.F32((float*)biasData);
        }
    }

    public Tensor Weight => _weight;

    /// <summary>Whether <see cref="Gemv"/> is available (CPU kernels over BF16 or float32 weights).</summary>
    public bool HasKernel => _kernels is not null;

    /// <summary><paramref name="x"/> [T, in] → [T, out] in <paramref name="outputType"/> (default: x's dtype).</summary>
    public Tensor Forward(Tensor x, ScalarType? outputType = null)
    {
        var type = outputType ?? x.dtype;
        if (_kernels is null || x.shape[0] != 1)
            return linear(x, _weight, _bias).to(type);
        return KernelRow(x).to(type);
    }

    /// <summary>
    /// Float32 output holding the values <see cref="Forward"/> stores in x's dtype (the logits: W·x rounded to BF16 in
    /// the BF16 mode). A single row is rounded here, not by a tensor cast: libtorch's parallel casts of 201088 logits
    /// woke its OpenMP threads every decoded token, which then spun on the cores the kernels need.
    /// </summary>
    public Tensor ForwardFloat32(Tensor x)
    {
        if (_kernels is null || x.shape[0] != 1)
            return Forward(x).to(ScalarType.Float32);
        return KernelRow(x, roundToBf16: x.dtype == ScalarType.BFloat16);
    }

    /// <summary>
    /// <see cref="ForwardFloat32(Tensor)"/> for one float32 row already in memory (<paramref name="x"/>: in floats), on
    /// the CPU kernels; <paramref name="roundToBf16"/>: the BF16 mode's values.
    /// </summary>
    public Tensor ForwardFloat32(float* x, bool roundToBf16)
    {
        var output = torch.empty([1, _weight.shape[0]], ScalarType.Float32);
        float* y = (float*)MappedTensor.Data(output);
        Gemv(x, y);
        ActivationRow.Round(y, (int)_weight.shape[0], roundToBf16);
        return output;
    }

    /// <summary>One row through the CPU kernel: float32 [1, out].</summary>
    private Tensor KernelRow(Tensor x, bool roundToBf16 = false)
    {
        var input = x.to(ScalarType.Float32).contiguous();
        var output = ForwardFloat32((float*)MappedTensor.Data(input), roundToBf16);
        GC.KeepAlive(input);
        return output;
    }

    /// <summary>y = W·x + b for one float32 row (x: in floats, y: out floats), on the CPU kernels.</summary>
    public void Gemv(float* x, float* y)
    {
        if (_kernels is null) throw new InvalidOperationException("this projection has no CPU kernel (weights not on the CPU in BF16 or float32)");
        if (_bf16.Data != null) _kernels.Gemv(_bf16, x, y, _kernelBias);
        else _kernels.Gemv(_f32, x, y, _kernelBias);
    }
}
