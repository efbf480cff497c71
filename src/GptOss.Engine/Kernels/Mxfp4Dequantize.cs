using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GptOss.Engine.Kernels;

/// <summary>
/// Expands MXFP4 rows to BF16 bits or float32, row-major [rows, cols]. Every decoded value is exact
/// in both (one mantissa bit times a power of two), so BF16 output is the float's upper half.
/// </summary>
internal static unsafe class Mxfp4Dequantize
{
    public static void RowToF32(KernelIsa isa, in Mxfp4Matrix w, int row, float* dest)
    {
        if (isa == KernelIsa.Avx512) Avx512Row(w, row, dest, null);
        else ScalarRow(w, row, dest, null);
    }

    public static void RowToBf16(KernelIsa isa, in Mxfp4Matrix w, int row, ushort* dest)
    {
        if (isa == KernelIsa.Avx512) Avx512Row(w, row, null, dest);
        else ScalarRow(w, row, null, dest);
    }

    private static void ScalarRow(in Mxfp4Matrix w, int row, float* f32, ushort* bf16)
    {
        ReadOnlySpan<float> lut = Fp.Fp4Values;
        byte* b = w.RowBlocks(row);
        byte* s = w.RowScales(row);
        for (int g = 0; g < w.BlocksPerRow; g++)
        {
            float scale = Fp.ScaleTable[s[g]];
            float extra = s[g] == Fp.MaxScale ? 2f : 1f;
            for (int j = 0; j < 32; j++)
            {
                byte code = b[16 * g + j / 2];
                float v = lut[(j & 1) == 0 ? code & 15 : code >> 4] * scale * extra;
                if (f32 != null) f32[32 * g + j] = v;
                else bf16[32 * g + j] = (ushort)(BitConverter.SingleToUInt32Bits(v) >> 16);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Avx512Row(in Mxfp4Matrix w, int row, float* f32, ushort* bf16)
    {
        var lut = Mxfp4Dot.Lut512;
        var first = Vector512.Create(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
        var second = first + Vector512.Create(8);
        byte* b = w.RowBlocks(row);
        byte* s = w.RowScales(row);
        for (int g = 0; g < w.BlocksPerRow; g++)
        {
            var table = lut * Vector512.Create(Fp.ScaleTable[s[g]]);
            if (s[g] == Fp.MaxScale) table *= Vector512.Create(2f);
            var codes = Avx512F.ConvertToVector512Int32(Vector128.Load(b + 16 * g));
            var lo = Avx512F.PermuteVar16x32(table, codes);
            var hi = Avx512F.PermuteVar16x32(table, Avx512F.ShiftRightLogical(codes, 4));
            var v0 = Avx512F.PermuteVar16x32x2(lo, first, hi);
            var v1 = Avx512F.PermuteVar16x32x2(lo, second, hi);
            if (f32 != null)
            {
                v0.Store(f32 + 32 * g);
                v1.Store(f32 + 32 * g + 16);
            }
            else
            {
                Avx512F.ConvertToVector256UInt16(v0.AsUInt32() >> 16).Store(bf16 + 32 * g);
                Avx512F.ConvertToVector256UInt16(v1.AsUInt32() >> 16).Store(bf16 + 32 * g + 16);
            }
        }
    }
}
