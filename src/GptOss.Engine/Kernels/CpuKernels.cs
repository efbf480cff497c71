namespace GptOss.Engine.Kernels;

/// <summary>
/// The CPU matmul kernels the engine calls, over raw pointers (weights in mapped checkpoint files,
/// activations in tensors): MXFP4 and BF16 matrix-vector products, an MXFP4 small-batch GEMM,
/// MXFP4 dequantization, and the fused MoE expert block. Work is split by rows over
/// <see cref="Pool"/>; scratch is kept between calls, so a call allocates nothing once shapes are
/// seen. One caller at a time (like the pool).
/// </summary>
public sealed unsafe partial class CpuKernels : IDisposable
{
    private readonly NativeBuffer<float> _split = new();
    private readonly NativeBuffer<float> _hidden = new();
    private readonly NativeBuffer<float> _activations = new();
    private readonly NativeBuffer<float> _partials = new();
    private readonly NativeBuffer<int> _selected = new();
    private readonly NativeBuffer<float> _weights = new();

    public CpuKernels(KernelThreadPool pool, KernelIsa? isa = null)
    {
        Pool = pool ?? throw new ArgumentNullException(nameof(pool));
        Isa = isa ?? KernelIsas.Best;
        KernelIsas.EnsureSupported(Isa);
    }

    public KernelThreadPool Pool { get; }

    public KernelIsa Isa { get; }

    /// <summary>y[r] = Σ_c W[r,c]·x[c] + bias[r]; x has W.Cols floats, y W.Rows floats.</summary>
    public void Gemv(in Mxfp4Matrix w, float* x, float* y, Bias bias = default) =>
        Gemv(w, w.Rows, w.Cols, &Mxfp4Dot.Dot1, x, y, bias);

    /// <summary>y[r] = Σ_c W[r,c]·x[c] + bias[r] for a BF16 matrix.</summary>
    public void Gemv(in Bf16Matrix w, float* x, float* y, Bias bias = default) =>
        Gemv(w, w.Rows, w.Cols, &Bf16Dot.Dot1, x, y, bias);

    private void Gemv<TMatrix>(in TMatrix w, int rows, int cols, delegate*<KernelIsa, in TMatrix, int, float*, float> dot,
        float* x, float* y, Bias bias) where TMatrix : struct
    {
        Require(x, nameof(x));
        Require(y, nameof(y));
        float* xs = _split.Get(cols);
        ActivationSplit.Split(x, xs, cols);
        Pool.For(rows, 4, new GemvJob<TMatrix>(Isa, w, dot, xs, y, bias));
    }

    /// <summary>
    /// Y = X·Wᵀ + bias for <paramref name="tokens"/> rows of X ([tokens, W.Cols] → Y [tokens, W.Rows]),
    /// reading each weight block once per 64 tokens and applying it to four tokens at a time.
    /// </summary>
    public void Gemm(in Mxfp4Matrix w, float* x, int tokens, float* y, Bias bias = default)
    {
        if (tokens <= 0) throw new ArgumentOutOfRangeException(nameof(tokens), tokens, "token count must be positive");
        Require(x, nameof(x));
        Require(y, nameof(y));
        float* xs = _split.Get((long)tokens * w.Cols);
        for (int t = 0; t < tokens; t++) ActivationSplit.Split(x + (long)t * w.Cols, xs + (long)t * w.Cols, w.Cols);
        Pool.For(w.Rows, 4, new Mxfp4GemmJob(Isa, w, xs, tokens, y, bias));
    }

    /// <summary>Rows [rowStart, rowStart+rowCount) of W as BF16 bits into dest ([rowCount, W.Cols]).</summary>
    public void Dequantize(in Mxfp4Matrix w, int rowStart, int rowCount, ushort* dest)
    {
        Require(dest, nameof(dest));
        var rows = w.Slice(rowStart, rowCount);
        Pool.For(rowCount, 1, new DequantizeJob(Isa, rows, null, dest));
    }

    /// <summary>Rows [rowStart, rowStart+rowCount) of W as float32 into dest ([rowCount, W.Cols]).</summary>
    public void Dequantize(in Mxfp4Matrix w, int rowStart, int rowCount, float* dest)
    {
        Require(dest, nameof(dest));
        var rows = w.Slice(rowStart, rowCount);
        Pool.For(rowCount, 1, new DequantizeJob(Isa, rows, dest, null));
    }

    private static void Require(void* pointer, string name)
    {
        if (pointer == null) throw new ArgumentNullException(name, "kernel buffers must not be null");
    }

    public void Dispose()
    {
        _split.Dispose();
        _hidden.Dispose();
        _activations.Dispose();
        _partials.Dispose();
        _selected.Dispose();
        _weights.Dispose();
    }

    /// <summary>
    /// A GEMV over rows [start, end) of one weight format (<see cref="Mxfp4Dot"/>, <see cref="Bf16Dot"/>), one row after
    /// the other: each thread reads one sequential stream, which the prefetcher keeps ahead of (several interleaved row
    /// streams measured ~30 % slower from DRAM, despite sharing the activation loads).
    /// </summary>
    private readonly struct GemvJob<TMatrix>(KernelIsa isa, TMatrix w, delegate*<KernelIsa, in TMatrix, int, float*, float> dot,
        float* xs, float* y, Bias bias) : IRangeJob where TMatrix : struct
    {
        public void Run(int start, int end)
        {
            for (int r = start; r < end; r++) y[r] = dot(isa, w, r, xs) + bias[r];
        }
    }

    private readonly struct Mxfp4GemmJob(KernelIsa isa, Mxfp4Matrix w, float* xs, int tokens, float* y, Bias bias) : IRangeJob
    {
        // Tokens per pass over a row range: their activations (64 × 11.5 KB at 2880) stay in L2.
        private const int TokenChunk = 64;

        public void Run(int start, int end)
        {
            float* dots = stackalloc float[16];
            int cols = w.Cols, rows = w.Rows;
            for (int t0 = 0; t0 < tokens; t0 += TokenChunk)
            {
                int t1 = Math.Min(tokens, t0 + TokenChunk);
                int r = start;
                for (; r + 4 <= end; r += 4)
                {
                    int t = t0;
                    for (; t + 4 <= t1; t += 4)
                    {
                        Mxfp4Dot.Dot4x4(isa, w, r, xs + (long)t * cols, cols, dots);
                        for (int i = 0; i < 4; i++)
                            for (int k = 0; k < 4; k++)
                                y[(long)(t + i) * rows + r + k] = dots[4 * i + k] + bias[r + k];
                    }
                    for (; t < t1; t++)
                    {
                        Mxfp4Dot.Dot4(isa, w, r, xs + (long)t * cols, dots);
                        for (int k = 0; k < 4; k++) y[(long)t * rows + r + k] = dots[k] + bias[r + k];
                    }
                }
                for (; r < end; r++)
                    for (int t = t0; t < t1; t++)
                        y[(long)t * rows + r] = Mxfp4Dot.Dot1(isa, w, r, xs + (long)t * cols) + bias[r];
            }
        }
    }

    private readonly struct DequantizeJob(KernelIsa isa, Mxfp4Matrix w, float* f32, ushort* bf16) : IRangeJob
    {
        public void Run(int start, int end)
        {
            for (int r = start; r < end; r++)
            {
                if (f32 != null) Mxfp4Dequantize.RowToF32(isa, w, r, f32 + (long)r * w.Cols);
                else Mxfp4Dequantize.RowToBf16(isa, w, r, bf16 + (long)r * w.Cols);
            }
        }
    }
}
