using System.Runtime.InteropServices;

namespace GptOss.Engine.Kernels;

/// <summary>64-byte aligned native scratch that grows on demand and is reused across calls.</summary>
internal sealed unsafe class NativeBuffer<T> : IDisposable where T : unmanaged
{
    private T* _data;
    private long _capacity;

    public T* Get(long count)
    {
        if (count > _capacity)
        {
            NativeMemory.AlignedFree(_data);
            _data = null;
            _data = (T*)NativeMemory.AlignedAlloc((nuint)(count * sizeof(T)), 64);
            _capacity = count;
        }
        return _data;
    }

    public void Dispose()
    {
        NativeMemory.AlignedFree(_data);
        _data = null;
        _capacity = 0;
    }
}
