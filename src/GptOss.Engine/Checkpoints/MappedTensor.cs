using System.Runtime.InteropServices;
using TorchSharp;

namespace GptOss.Engine.Checkpoints;

/// <summary>
/// Torch tensors that view memory owned elsewhere (a file mapping) without copying, through LibTorchSharp's
/// exported <c>THSTensor_new</c> (<c>torch::from_blob</c>); TorchSharp's public factories always copy.
/// </summary>
internal static unsafe partial class MappedTensor
{
    [LibraryImport("LibTorchSharp")]
    private static partial IntPtr THSTensor_new(IntPtr data, IntPtr deleter, long* sizes, int ndims, sbyte scalarType, sbyte dtype,
        int deviceType, int deviceIndex, [MarshalAs(UnmanagedType.U1)] bool requiresGrad);

    [LibraryImport("LibTorchSharp")]
    private static partial IntPtr THSTensor_data(IntPtr handle);

    static MappedTensor() => torch.InitializeDeviceType(DeviceType.CPU);

    /// <summary>Where a CPU tensor's elements start (contiguous tensors only); keep the tensor alive while it is used.</summary>
    public static byte* Data(torch.Tensor tensor) => (byte*)THSTensor_data(tensor.Handle);

    /// <summary>A CPU tensor over <paramref name="data"/>; the memory must outlive the tensor and every view of it.</summary>
    public static torch.Tensor View(IntPtr data, long[] shape, torch.ScalarType type)
    {
        IntPtr handle;
        fixed (long* sizes = shape)
            handle = THSTensor_new(data, IntPtr.Zero, sizes, shape.Length, (sbyte)type, (sbyte)type, (int)DeviceType.CPU, 0, false);
        if (handle == IntPtr.Zero)
            throw new InvalidOperationException($"libtorch could not wrap {type} [{string.Join(", ", shape)}] at 0x{data:x}");
        return torch.Tensor.UnsafeCreateTensor(handle);
    }
}
