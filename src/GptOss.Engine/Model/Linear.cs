using GptOss.Engine.Checkpoints;
using GptOss.Engine.Kernels;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn.functional;

namespace GptOss.Engine.Model;

/// <summary>
/// <c>y = x·Wᵀ + b</c>. One row of <c>x</c> against BF16 weights on the CPU (decode: bandwidth-bound) goes through the
/// BF16 GEMV kernel on the kernels' threads, reading the mapped weights directly; everything else through libtorch.
/// </summary>
internal sealed unsafe class Linear
{
    private readonly Tensor _weight;
    private readonly Tensor? _bias;
    private readonly CpuKernels? _kernels;
    private readonly Bf16Matrix _matrix;
    private readonly Bias _kernelBias;

    public Linear(Tensor weight, Tensor? bias, CpuKernels? kernels)
    {
        _weight = weight;
        _bias = bias;
        if (kernels is null || weight.device.type != DeviceType.CPU || weight.dtype != ScalarType.BFloat16 || !weight.is_contiguous()
            || bias is { } b && (b.dtype != ScalarType.BFloat16 || !b.is_contiguous()))
            return;
        _kernels = kernels;
        _matrix = new Bf16Matrix((ushort*)MappedTensor.THSTensor_data(weight.Handle), (int)weight.shape[0], (int)weight.shape[1]);
        _kernelBias = bias is null ? Bias.None : Bias.Bf16((ushort*)MappedTensor.THSTensor_data(bias.Handle));
    }

    public Tensor Weight => _weight;

    /// <summary><paramref name="x"/> [T, in] → [T, out] in <paramref name="outputType"/> (default: x's dtype).</summary>
    public Tensor Forward(Tensor x, ScalarType? outputType = null)
    {
        var type = outputType ?? x.dtype;
        if (_kernels is null || x.shape[0] != 1)
            return linear(x, _weight, _bias).to(type);
        var input = x.to(ScalarType.Float32).contiguous();
        var output = torch.empty([1, _matrix.Rows], ScalarType.Float32);
        _kernels.Gemv(_matrix, (float*)MappedTensor.THSTensor_data(input.Handle), (float*)MappedTensor.THSTensor_data(output.Handle), _kernelBias);
        GC.KeepAlive(input);
        return output.to(type);
    }
}
