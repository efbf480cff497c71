using GptOss.Engine.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace GptOss.KernelBench;

/// <summary>The 20b shapes: GEMVs (decode), the MoE block, and batched MXFP4 paths (prefill).</summary>
internal sealed unsafe class Benchmarks(CpuKernels kernels, CpuKernels integerKernels, int repeats, double readMedian)
{
    private const int Hidden = 2880, Intermediate = 2880, Experts = 32, Vocab = 201088;
    private const int QueryDim = 64 * 64, KvDim = 8 * 64;
    // Enough copies that a pass over them (~190 MB) cannot stay in the L3 cache: 8 layers of q or o, 64 of k or v.
    private const long AttentionBytes = 8L * QueryDim * Hidden * 2;
    // Rows dequantized per step when the BF16 copy should stay in cache (720 x 2880 x 2 B = 4 MB).
    private const int ChunkRows = 720;

    // _xBf16 holds BF16 values only, as the BF16 mode's activations do: the BF16 GEMVs take the engine's native
    // AVX512-BF16 kernel with it (any other input goes through the float kernel, which _x measures).
    private float* _x, _xBf16, _y;

    /// <param name="batchedOnly">Only the batched (prefill) table.</param>
    public void Run(bool withTorch, bool batchedOnly)
    {
        using var weights = new Weights();
        float* x = _x = weights.Floats(512L * Math.Max(Hidden, QueryDim));
        float* y = _y = weights.Floats(Math.Max(Vocab, 512L * 2 * Intermediate));
        _xBf16 = weights.Bf16Valued(x, Math.Max(Hidden, QueryDim));
        var gateUp = weights.Mxfp4(Experts, 2 * Intermediate, Hidden);
        if (batchedOnly)
        {
            Batched(gateUp, x, y, (ushort*)weights.Bytes(2L * gateUp[0].Rows * gateUp[0].Cols), weights.Bf16(512L * Hidden), withTorch);
            return;
        }

        var handOff = Timing.SecondsPerCall(repeats, 10000, _ => kernels.Pool.For(kernels.Pool.ThreadCount * 4, 1, new EmptyJob()));
        Console.WriteLine($"thread pool hand-off (empty job, {kernels.Pool.ThreadCount} threads): {handOff.Best * 1e6:F1} / {handOff.Median * 1e6:F1} us per call");
        Console.WriteLine();
        Console.WriteLine($"{"GEMV (decode, 1 token)",-40} {"MB/call",8} {"us/call",17} {"GB/s",13} {"of read",8} {"GB/cpu-s",9}");
        var down = weights.Mxfp4(Experts, Hidden, Intermediate);
        Gemv("MXFP4 gate_up 5760x2880 (32 experts)", gateUp, kernels);
        Gemv("MXFP4 down 2880x2880 (32 experts)", down, kernels);
        Gemv("  same gate_up, int16 activations", gateUp, integerKernels);
        Gemv("  same down, int16 activations", down, integerKernels);
        var q = Bf16(weights, QueryDim, Hidden);
        var k = Bf16(weights, KvDim, Hidden);
        var v = Bf16(weights, KvDim, Hidden);
        var o = Bf16(weights, Hidden, QueryDim);
        Gemv("BF16 q 4096x2880 (8 layers)", q, _xBf16);
        Gemv("BF16 k 512x2880 (64 layers)", k, _xBf16);
        Gemv("BF16 v 512x2880 (64 layers)", v, _xBf16);
        Gemv("BF16 o 2880x4096 (8 layers)", o, _xBf16);
        Gemv("  same q, float32 input (float kernel)", q, _x);
        var unembedding = new Bf16Matrix(weights.Bf16((long)Vocab * Hidden), Vocab, Hidden);
        Report("BF16 unembedding 201088x2880", unembedding.ByteCount, 2,
            i => kernels.Gemv(unembedding, _xBf16, y));

        // The same small matrix again and again stays in L2: what the kernels compute when memory is no limit.
        var gateUpRows = gateUp[0].Slice(0, 128);
        Report("MXFP4 128x2880 from L2 (compute)", gateUpRows.ByteCount, 64, i => kernels.Gemv(gateUpRows, x, y));
        Report("  same, int16 activations", gateUpRows.ByteCount, 64, i => integerKernels.Gemv(gateUpRows, x, y));
        var qRows = new Bf16Matrix(q[0].Data, 64, Hidden);
        Report("BF16 64x2880 from L2 (compute)", qRows.ByteCount, 64, i => kernels.Gemv(qRows, _xBf16, y));

        var layer = weights.Experts(Experts, Hidden, Intermediate);
        int[] selected = new int[4];
        float[] routing = [0.4f, 0.3f, 0.2f, 0.1f];
        long moeBytes = 4 * (gateUp[0].ByteCount + down[0].ByteCount + 2 * (2 * Intermediate + Hidden));
        foreach (var (name, with) in new[] { ("MoE block, 4 of 32 experts (fused)", kernels), ("  same, int16 activations", integerKernels) })
            Report(name, moeBytes, 16, i =>
            {
                for (int j = 0; j < 4; j++) selected[j] = (4 * i + j) % Experts;
                with.Experts(layer, x, selected, routing, y);
            });

        Console.WriteLine();
        Batched(gateUp, x, y, (ushort*)weights.Bytes(2L * gateUp[0].Rows * gateUp[0].Cols), weights.Bf16(512L * Hidden), withTorch);
    }

    private void Gemv(string name, Mxfp4Matrix[] matrices, CpuKernels with) =>
        Report(name, matrices[0].ByteCount, matrices.Length, i => with.Gemv(matrices[i % matrices.Length], _x, _y));

    private static Bf16Matrix[] Bf16(Weights weights, int rows, int cols)
    {
        int layers = (int)(AttentionBytes / (2L * rows * cols));
        ushort* data = weights.Bf16((long)layers * rows * cols);
        return Enumerable.Range(0, layers).Select(l => new Bf16Matrix(data + (long)l * rows * cols, rows, cols)).ToArray();
    }

    private void Gemv(string name, Bf16Matrix[] matrices, float* x) =>
        Report(name, matrices[0].ByteCount, matrices.Length, i => kernels.Gemv(matrices[i % matrices.Length], x, _y));

    private void Report(string name, long bytesPerCall, int callsPerPass, Action<int> call)
    {
        var (best, median, cpu) = Timing.SecondsPerCall(repeats, callsPerPass, call);
        Console.WriteLine($"{name,-40} {bytesPerCall / 1e6,8:F1} {best * 1e6,8:F0} /{median * 1e6,7:F0} {bytesPerCall / best / 1e9,5:F1} /{bytesPerCall / median / 1e9,5:F1} {bytesPerCall / median / readMedian,7:P0} {bytesPerCall / cpu / 1e9,9:F1}");
    }

    /// <summary>
    /// Prefill's per-expert matmul for M tokens, gate_up shape: the fused MXFP4 GEMM and the tile GEMM (BF16 tokens,
    /// AVX512-BF16) against dequantizing the expert to BF16 and running libtorch's BF16 GEMM (oneDNN).
    /// </summary>
    private void Batched(Mxfp4Matrix[] experts, float* x, float* y, ushort* bf16, ushort* bf16Tokens, bool withTorch)
    {
        using var tiles = Mxfp4TileGemm.IsSupported ? new Mxfp4TileGemm(kernels.Pool) : null;
        int rows = experts[0].Rows, cols = experts[0].Cols;
        Console.WriteLine($"{"batched gate_up 5760x2880, M tokens",-36} {"ms/call",17} {"GFLOP/s",15} {"GFLOP/cpu-s",12}");
        using var w = withTorch ? empty(rows, cols, ScalarType.BFloat16) : null;
        if (withTorch) set_num_threads(kernels.Pool.ThreadCount);
        var dequantize = Timing.SecondsPerCall(repeats, 8, i => kernels.Dequantize(experts[i % experts.Length], 0, rows, bf16));
        Console.WriteLine($"{"dequantize to BF16 (alone)",-36} {dequantize.Best * 1e3,8:F2} /{dequantize.Median * 1e3,7:F2} {rows * (long)cols * 2 / dequantize.Median / 1e9,8:F1} GB/s written");
        foreach (int m in new[] { 1, 4, 8, 64, 512 })
        {
            double flops = 2.0 * m * rows * cols;
            int calls = m <= 8 ? 32 : 4;
            var fused = Timing.SecondsPerCall(repeats, calls, i => kernels.Gemm(experts[i % experts.Length], x, m, y));
            Line($"M={m,-3} fused MXFP4 GEMM", fused, flops);
            if (tiles != null && m >= 8)
                Line($"M={m,-3} tile GEMM (AVX512-BF16)", Timing.SecondsPerCall(repeats, calls, i => tiles.Gemm(experts[i % experts.Length], bf16Tokens, m, y)), flops);
            if (!withTorch) continue;
            using var input = randn(m, cols).to(ScalarType.BFloat16);
            var viaBf16 = Timing.SecondsPerCall(repeats, calls, i =>
            {
                fixed (byte* p = w!.bytes) kernels.Dequantize(experts[i % experts.Length], 0, rows, (ushort*)p);
                using var output = nn.functional.linear(input, w);
            });
            Line($"M={m,-3} dequantize + torch BF16 linear", viaBf16, flops);
            using var chunk = empty(ChunkRows, cols, ScalarType.BFloat16);
            using var result = empty(m, rows, ScalarType.BFloat16);
            var chunked = Timing.SecondsPerCall(repeats, calls, i =>
            {
                fixed (byte* p = chunk.bytes)
                    for (int r0 = 0; r0 < rows; r0 += ChunkRows)
                    {
                        int n = Math.Min(ChunkRows, rows - r0);
                        kernels.Dequantize(experts[i % experts.Length], r0, n, (ushort*)p);
                        using var part = nn.functional.linear(input, chunk.narrow(0, 0, n));
                        using var target = result.narrow(1, r0, n);
                        target.copy_(part);
                    }
            });
            Line($"M={m,-3} same, {ChunkRows}-row chunks (cache)", chunked, flops);
            var linearOnly = Timing.SecondsPerCall(repeats, calls, _ =>
            {
                using var output = nn.functional.linear(input, w!);
            });
            Line($"M={m,-3} torch BF16 linear (weights ready)", linearOnly, flops);
        }
    }

    private readonly struct EmptyJob : IRangeJob
    {
        public void Run(int start, int end) { }
    }

    private static void Line(string name, CallTime t, double flops) =>
        Console.WriteLine($"{name,-36} {t.Best * 1e3,8:F2} /{t.Median * 1e3,7:F2} {flops / t.Best / 1e9,6:F1} /{flops / t.Median / 1e9,6:F1} {flops / t.Cpu / 1e9,12:F1}");
}
