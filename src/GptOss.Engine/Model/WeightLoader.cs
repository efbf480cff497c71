using GptOss.Engine.Checkpoints;
using TorchSharp;

namespace GptOss.Engine.Model;

/// <summary>
/// Turns checkpoint tensors into the model's parameters on the target device: zero-copy views over the mapping when
/// device and dtype already match (bf16 on CPU), a converted copy otherwise. Parameters live outside any dispose scope.
/// </summary>
internal sealed class WeightLoader(Checkpoint checkpoint, torch.Device device, torch.ScalarType activationType)
{
    public Checkpoint Checkpoint { get; } = checkpoint;
    public TensorNames Names { get; } = new(checkpoint.Layout);
    public torch.Device Device { get; } = device;
    public torch.ScalarType ActivationType { get; } = activationType;

    /// <summary>A BF16 weight or bias, in the activation dtype.</summary>
    public torch.Tensor Dense(string name, params long[] shape) => Place(Checkpoint.Read(name, "BF16", shape), ActivationType);

    /// <summary>A BF16 tensor kept in BF16 whatever the activation dtype (the embedding table: rows are gathered, then cast).</summary>
    public torch.Tensor Bf16(string name, params long[] shape) => Place(Checkpoint.Read(name, "BF16", shape), torch.ScalarType.BFloat16);

    /// <summary>A BF16 tensor held in float32 (norm gains, attention sinks: small, used in float32 math).</summary>
    public torch.Tensor Float32(string name, params long[] shape) => Place(Checkpoint.Read(name, "BF16", shape), torch.ScalarType.Float32);

    /// <summary>Packed MXFP4 bytes (blocks or scales), never expanded here.</summary>
    public torch.Tensor Packed(string name, params long[] shape) => Place(Checkpoint.Read(name, "U8", shape), torch.ScalarType.Byte);

    /// <summary>Rows [<paramref name="start"/>, start+<paramref name="count"/>) of an already placed tensor, as a parameter.</summary>
    public static torch.Tensor Rows(torch.Tensor t, long start, long count) => t.narrow(0, start, count).DetachFromDisposeScope();

    private torch.Tensor Place(torch.Tensor mapped, torch.ScalarType type)
    {
        if (mapped.dtype == type && mapped.device.type == Device.type)
            return mapped.DetachFromDisposeScope();
        var placed = mapped.to(type, Device).DetachFromDisposeScope();
        mapped.Dispose();
        return placed;
    }
}
