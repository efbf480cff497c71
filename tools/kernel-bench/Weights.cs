using System.Runtime.InteropServices;
using GptOss.Engine.Checkpoints;
using GptOss.Engine.Kernels;

namespace GptOss.KernelBench;

/// <summary>Random weights in native memory, in the layouts the checkpoint has.</summary>
internal sealed unsafe class Weights : IDisposable
{
    private readonly List<IntPtr> _allocations = [];

    /// <summary>Uniformly random bytes (FP4 codes: every code equally likely).</summary>
    public byte* Bytes(long count)
    {
        // 2 MB pages, as the engine's mapped checkpoint has them: from 4 KB pages a stream restarts its prefetch every page.
        byte* p = (byte*)NativeMemory.AlignedAlloc((nuint)count, (nuint)HugePages.Size);
        HugePages.Advise(p, count);
        _allocations.Add((IntPtr)p);
        var random = new Random(_allocations.Count);
        const int Chunk = 1 << 20;
        for (long i = 0; i < count; i += Chunk) random.NextBytes(new Span<byte>(p + i, (int)Math.Min(Chunk, count - i)));
        return p;
    }

    /// <summary>E8M0 exponents around 2^0 (124..130), like real weights.</summary>
    public byte* Scales(long count)
    {
        byte* p = Bytes(count);
        for (long i = 0; i < count; i++) p[i] = (byte)(124 + p[i] % 7);
        return p;
    }

    /// <summary>BF16 values of magnitude ~0.01..1 (random mantissa and sign, exponent 120..126).</summary>
    public ushort* Bf16(long count)
    {
        var p = (ushort*)Bytes(count * 2);
        for (long i = 0; i < count; i++) p[i] = (ushort)((p[i] & 0x807F) | ((120 + p[i] % 7) << 7));
        return p;
    }

    public Mxfp4Matrix[] Mxfp4(int count, int rows, int cols)
    {
        long blocks = (long)rows * cols / 32;
        byte* codes = Bytes(count * blocks * 16);
        byte* scales = Scales(count * blocks);
        return Enumerable.Range(0, count).Select(e => new Mxfp4Matrix(codes + e * blocks * 16, scales + e * blocks, rows, cols)).ToArray();
    }

    public Mxfp4Experts Experts(int count, int hidden, int intermediate)
    {
        long upBlocks = 2L * intermediate * hidden / 32, downBlocks = (long)hidden * intermediate / 32;
        return new Mxfp4Experts(
            Bytes(count * upBlocks * 16), Scales(count * upBlocks), Bias.Bf16(Bf16(count * 2L * intermediate)),
            Bytes(count * downBlocks * 16), Scales(count * downBlocks), Bias.Bf16(Bf16((long)count * hidden)),
            count, hidden, intermediate);
    }

    public float* Floats(long count)
    {
        float* p = (float*)Bytes(count * 4);
        var random = new Random(42);
        for (long i = 0; i < count; i++) p[i] = (float)(random.NextDouble() * 2 - 1);
        return p;
    }

    /// <summary>A copy of the first <paramref name="count"/> floats of <paramref name="x"/> truncated to BF16 values (low 16 bits cleared).</summary>
    public float* Bf16Valued(float* x, long count)
    {
        var p = (uint*)Bytes(count * 4);
        for (long i = 0; i < count; i++) p[i] = ((uint*)x)[i] & 0xFFFF0000u;
        return (float*)p;
    }

    public void Dispose()
    {
        foreach (var p in _allocations) NativeMemory.AlignedFree((void*)p);
        _allocations.Clear();
    }
}
