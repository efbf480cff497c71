using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GptOss.Engine.Kernels;

/// <summary>
/// MXFP4 rows against <see cref="Int16Blocks"/>, two blocks per step: 32 packed bytes → low and high nibbles →
/// vpshufb through a table of 2·E2M1 as int8 → sign-extended to int16 → vpmaddwd with the activation's integers
/// (exact int32 sums: |2·E2M1| ≤ 12, |q| ≤ 32767) → float32, times each block's scale, accumulated. About two thirds
/// of the float path's instructions per block (AVX-512 BW; rows with scale 255 or an odd block count must not come here).
/// </summary>
internal static unsafe class Mxfp4Int16Dot
{
    /// <summary>Whether a row of <paramref name="blocks"/> blocks can take this path on <paramref name="isa"/>.</summary>
    public static bool Handles(KernelIsa isa, int blocks) => isa == KernelIsa.Avx512 && blocks % 2 == 0;

    /// <remarks>
    /// Written for the JIT, which otherwise turns this loop front-end bound: constants built in the method (a property
    /// getter returning a vector was not inlined and went through the stack), accumulators never passed by reference
    /// (an earlier shape spilled them every step: half the speed), pointers that advance instead of indices
    /// recomputed per block, and scales broadcast straight from the table.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Row(byte* b, byte* s, int blocks, in Int16Blocks x)
    {
        var table = Vector256.Create(
            (sbyte)0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12,
            0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12);
        var nibble = Vector256.Create((byte)15);
        float* wide = Int16Blocks.WideScaleTable;
        short* q = x.Values;
        int* index = x.ScaleIndex;
        var acc0 = Vector512<float>.Zero;
        var acc1 = Vector512<float>.Zero;
        byte* end = b + 16 * (blocks & ~3);
        for (; b < end; b += 64, s += 4, q += 128, index += 4)
        {
            acc0 = Pair(table, nibble, b, q, wide, s[0] + index[0], s[1] + index[1], acc0);
            acc1 = Pair(table, nibble, b + 32, q + 64, wide, s[2] + index[2], s[3] + index[3], acc1);
        }
        if ((blocks & 3) != 0) acc0 = Pair(table, nibble, b, q, wide, s[0] + index[0], s[1] + index[1], acc0);
        return Vector512.Sum(acc0 + acc1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Pair(Vector256<sbyte> table, Vector256<byte> nibble, byte* p, short* q, float* wide, int scale0, int scale1,
        Vector512<float> acc)
    {
        var packed = Vector256.Load(p);
        var even = Avx2.Shuffle(table, (packed & nibble).AsSByte());
        var odd = Avx2.Shuffle(table, (Avx2.ShiftRightLogical(packed.AsUInt16(), 4).AsByte() & nibble).AsSByte());
        var sums = Avx512BW.MultiplyAddAdjacent(Avx512BW.ConvertToVector512Int16(even), Vector512.Load(q))
            + Avx512BW.MultiplyAddAdjacent(Avx512BW.ConvertToVector512Int16(odd), Vector512.Load(q + 32));
        // Lanes 0-7 hold block 2p's partial sums, lanes 8-15 block 2p+1's.
        var scale = Avx512F.InsertVector256(Vector512.Create(wide[scale0]), Vector256.Create(wide[scale1]), 1);
        return Avx512F.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(sums), scale, acc);
    }
}
