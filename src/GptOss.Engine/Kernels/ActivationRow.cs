using System.Runtime.Intrinsics;
namespace GptOss.Engine.Kernels;

/// <summary>One activation row between a tensor's memory (BF16 or float32) and a float32 scratch row.</summary>
internal static unsafe class ActivationRow
{
    public static void Read(byte* source, float* x, int n, bool bf16)
    {
        if (!bf16)
        {
            Buffer.MemoryCopy(source, x, n * sizeof(float), n * sizeof(float));
            return;
        }
        var bits = (ushort*)source;
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i + 16 <= n; i += 16)
                (Vector512.WidenLower(Vector512.Create(Vector256.Load(bits + i), Vector256<ushort>.Zero)) << 16).AsSingle().Store(x + i);
        for (; i < n; i++) x[i] = Fp.Bf16ToFloat(bits[i]);
    }

    /// <summary>Stores the row, rounded to BF16 as a BF16 tensor op would store it.</summary>
    public static void Write(float* x, byte* destination, int n, bool bf16)
    {
        if (!bf16)
        {
            Buffer.MemoryCopy(x, destination, n * sizeof(float), n * sizeof(float));
            return;
        }
        var bits = (ushort*)destination;
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i + 32 <= n; i += 32)
            {
                var low = Fp.RoundToBf16(Vector512.Load(x + i)).AsUInt32() >> 16;
                var high = Fp.RoundToBf16(Vector512.Load(x + i + 16)).AsUInt32() >> 16;
                Vector512.Narrow(low, high).Store(bits + i);
            }
        for (; i < n; i++) bits[i] = Fp.FloatToBf16(x[i]);
    }

    /// <summary>Rounds the row in place to what a tensor op of the activation dtype stores (BF16 values; float32 as is).</summary>
    public static void Round(float* x, int n, bool bf16)
    {
        if (!bf16) return;
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i + 16 <= n; i += 16)
                Fp.RoundToBf16(Vector512.Load(x + i)).Store(x + i);
        for (; i < n; i++) x[i] = Fp.RoundToBf16(x[i]);
    }
}
