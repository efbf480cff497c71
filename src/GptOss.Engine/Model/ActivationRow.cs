using System.Runtime.Intrinsics;
using GptOss.Engine.Kernels;

namespace GptOss.Engine.Model;

/// <summary>One activation row between a tensor's memory (BF16 or float32) and a float32 scratch row.</summary>
internal static unsafe class ActivationRow
{
    public static void Read(byte* source, float* x, int n, bool bf16)
    {
        if (bf16)
            for (int i = 0; i < n; i++) x[i] = Fp.Bf16ToFloat(((ushort*)source)[i]);
        else
            Buffer.MemoryCopy(source, x, n * sizeof(float), n * sizeof(float));
    }

    /// <summary>Stores the row, rounded to BF16 as a BF16 tensor op would store it.</summary>
    public static void Write(float* x, byte* destination, int n, bool bf16)
    {
        if (bf16)
            for (int i = 0; i < n; i++) ((ushort*)destination)[i] = Fp.FloatToBf16(x[i]);
        else
            Buffer.MemoryCopy(x, destination, n * sizeof(float), n * sizeof(float));
    }

    /// <summary>Rounds the row in place to what a tensor op of the activation dtype stores (BF16 values; float32 as is).</summary>
    public static void Round(float* x, int n, bool bf16)
    {
        if (!bf16) return;
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            // Fp.FloatToBf16 sixteen at a time: ties to even, NaN kept NaN (quiet bit set).
            for (; i + 16 <= n; i += 16)
            {
                var v = Vector512.Load(x + i);
                var bits = v.AsUInt32();
                var rounded = bits + Vector512.Create(0x7FFFu) + ((bits >> 16) & Vector512<uint>.One);
                var nan = Vector512.Equals(v, v).AsUInt32();
                var kept = Vector512.ConditionalSelect(nan, rounded, bits | Vector512.Create(0x00400000u));
                (kept & Vector512.Create(0xFFFF0000u)).AsSingle().Store(x + i);
            }
        }
        for (; i < n; i++) x[i] = Fp.RoundToBf16(x[i]);
    }
}
