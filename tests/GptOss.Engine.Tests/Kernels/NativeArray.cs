using System.Runtime.InteropServices;

namespace GptOss.Engine.Tests.Kernels;

/// <summary>Aligned native memory for kernel inputs and outputs (kernels take raw pointers).</summary>
internal sealed unsafe class NativeArray<T> : IDisposable where T : unmanaged
{
    public NativeArray(long length)
    {
        Length = length;
        Pointer = (T*)NativeMemory.AlignedAlloc((nuint)(Math.Max(1, length) * sizeof(T)), 64);
        AsSpan().Clear();
    }

    public NativeArray(T[] values) : this(values.Length) => values.CopyTo(AsSpan());

    public T* Pointer { get; private set; }

    public long Length { get; }

    public Span<T> AsSpan() => new(Pointer, (int)Length);

    public T[] ToArray() => AsSpan().ToArray();

    public void Dispose()
    {
        NativeMemory.AlignedFree(Pointer);
        Pointer = null;
    }
}
