using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace GptOss.Engine.Kernels;

/// <summary>Finds the rare E8M0 scale 255, whose blocks need the exact path.</summary>
internal static unsafe class ScaleScan
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool ContainsMax(byte* s, int count)
    {
        if (Vector256.IsHardwareAccelerated && count >= 32)
        {
            var max = Vector256.Create(Fp.MaxScale);
            var any = Vector256<byte>.Zero;
            int i = 0;
            for (; i + 32 <= count; i += 32) any |= Vector256.Equals(Vector256.Load(s + i), max);
            any |= Vector256.Equals(Vector256.Load(s + count - 32), max);
            return any != Vector256<byte>.Zero;
        }
        for (int i = 0; i < count; i++)
            if (s[i] == Fp.MaxScale) return true;
        return false;
    }
}
