using System.Runtime.Intrinsics;

namespace GptOss.Engine.Kernels;

/// <summary>
/// The CPU matmul kernels the engine calls, over raw pointers (weights in mapped checkpoint files,
/// activations in tensors): MXFP4 and BF16 matrix-vector products, an MXFP4 small-batch GEMM,
/// MXFP4 dequantization, and the fused MoE expert block. Work is split by rows over
/// <see cref="Pool"/>; scratch is kept between calls, so a call allocates nothing once shapes are
/// seen. One caller at a time (like the pool).
/// </summary>
internal sealed unsafe partial class CpuKernels : IDisposable
{
    private readonly NativeBuffer<float> _split = new();
    private readonly NativeBuffer<ushort> _bf16Input = new();
    private readonly NativeBuffer<bool> _native = new();
    private readonly NativeBuffer<float> _hidden = new();
    private readonly NativeBuffer<float> _activations = new();
    private readonly NativeBuffer<float> _partials = new();
    private readonly NativeBuffer<byte> _integerBytes = new();
    private readonly NativeBuffer<int> _blockInts = new();
    private readonly NativeBuffer<Int16Blocks> _tokenIntegers = new();
    private readonly NativeBuffer<int> _selected = new();
    private readonly NativeBuffer<float> _weights = new();

    /// <param name="mxfp4Activations">How MXFP4 GEMVs and the expert block take their activations (GEMM and dequantize are unaffected).</param>
    public CpuKernels(KernelThreadPool pool, KernelIsa? isa = null, Mxfp4Activations mxfp4Activations = Mxfp4Activations.Float32)
    {
        Pool = pool ?? throw new ArgumentNullException(nameof(pool));
        Isa = isa ?? KernelIsas.Best;
        KernelIsas.EnsureSupported(Isa);
        Mxfp4Activations = mxfp4Activations;
    }

    public KernelThreadPool Pool { get; }

    public KernelIsa Isa { get; }

    public Mxfp4Activations Mxfp4Activations { get; }

    /// <summary>y[r] = Σ_c W[r,c]·x[c] + bias[r]; x has W.Cols floats, y W.Rows floats.</summary>
    public void Gemv(in Mxfp4Matrix w, float* x, float* y, Bias bias = default)
    {
        float* xs = SplitInput(x, y, w.Cols);
        var q = Integers(xs, w.Cols, 1);
        Pool.For(w.Rows, 4, new GemvJob<Mxfp4RowDot>(new Mxfp4RowDot(Isa, w, xs, q), y, bias));
    }

    /// <summary>y[r] = Σ_c W[r,c]·x[c] + bias[r] for a BF16 matrix (<see cref="Gemm(in Bf16Matrix, float*, int, float*, Bias)"/> of one vector).</summary>
    public void Gemv(in Bf16Matrix w, float* x, float* y, Bias bias = default) => Gemm(w, x, 1, y, bias);

    /// <summary>
    /// Y = X·Wᵀ + bias for <paramref name="count"/> rows of X ([count, W.Cols] → Y [count, W.Rows]), each weight row read
    /// from memory once for all of them (a batch of decoded tokens). A vector that holds BF16 values only (the BF16
    /// activation mode's rows) goes through <see cref="Avx512Bf16Dot"/> where the CPU has AVX512-BF16 (all such vectors
    /// share each weight load), any other through the float kernels: each vector's row i is what a GEMV of that vector
    /// alone gives.
    /// </summary>
    public void Gemm(in Bf16Matrix w, float* x, int count, float* y, Bias bias = default)
    {
        var inputs = BatchInputs(x, y, w.Cols, count, nativeBf16: Isa == KernelIsa.Avx512 && Avx512Bf16Dot.IsSupported && w.Cols % Avx512Bf16Dot.ColumnStep == 0);
        Pool.For(w.Rows, 4, new Bf16GemmJob(Isa, w, inputs, count, y, bias));
    }

    /// <summary>y[r] = Σ_c W[r,c]·x[c] + bias[r] for a float32 matrix.</summary>
    public void Gemv(in F32Matrix w, float* x, float* y, Bias bias = default) => Gemm(w, x, 1, y, bias);

    /// <summary>Y = X·Wᵀ + bias for <paramref name="count"/> rows of X, each weight row read from memory once (see the BF16 overload).</summary>
    public void Gemm(in F32Matrix w, float* x, int count, float* y, Bias bias = default)
    {
        var inputs = BatchInputs(x, y, w.Cols, count, nativeBf16: false);
        Pool.For(w.Rows, 4, new F32GemmJob(Isa, w, inputs, count, y, bias));
    }

    /// <summary>
    /// The <paramref name="count"/> input vectors of a dense GEMM in scratch, each as BF16 bits for the native kernel
    /// (when <paramref name="nativeBf16"/> and it holds BF16 values only; <paramref name="cols"/> then a multiple of 32)
    /// or else in the split layout the float kernels read.
    /// </summary>
    private BatchInputs BatchInputs(float* x, float* y, int cols, int count, bool nativeBf16)
    {
        if (count <= 0) throw new ArgumentOutOfRangeException(nameof(count), count, "vector count must be positive");
        Require(x, nameof(x));
        Require(y, nameof(y));
        var inputs = new BatchInputs(_bf16Input.Get((long)count * cols), _split.Get((long)count * cols), _native.Get(count), cols);
        for (int v = 0; v < count; v++)
        {
            float* vector = x + (long)v * cols;
            inputs.Native[v] = nativeBf16 && ToBf16(vector, inputs.Bf16(v), cols);
            if (!inputs.Native[v]) ActivationSplit.Split(vector, inputs.Split(v), cols);
        }
        return inputs;
    }

    /// <summary>x as BF16 bits into <paramref name="xb"/>; false when some value is not a BF16 (its low 16 bits are not zero).</summary>
    private static bool ToBf16(float* x, ushort* xb, int cols)
    {
        var lowBits = Vector512<uint>.Zero;
        for (int c = 0; c < cols; c += 32)
        {
            var low = Vector512.Load((uint*)x + c);
            var high = Vector512.Load((uint*)x + c + 16);
            lowBits |= (low | high) & Vector512.Create(0xFFFFu);
            Vector512.Narrow(low >> 16, high >> 16).Store(xb + c);
        }
        return lowBits == Vector512<uint>.Zero;
    }

    /// <summary>A GEMV's input in the split layout every dot kernel reads (<see cref="ActivationSplit"/>), in scratch.</summary>
    private float* SplitInput(float* x, float* y, int cols)
    {
        Require(x, nameof(x));
        Require(y, nameof(y));
        float* xs = _split.Get(cols);
        ActivationSplit.Split(x, xs, cols);
        return xs;
    }

    /// <summary>
    /// The integer form of <paramref name="count"/> split activation vectors stored side by side, when this instance
    /// uses it and the shape allows; otherwise (or for a vector with inf/NaN) empty, and the float path runs. Valid until
    /// the next call (one scratch serves every call: a pass's integers are dead once its rows are done).
    /// </summary>
    private Int16Blocks Integers(float* split, int cols, int count) => QuantizeGroup(IntegerScratch(cols, count), split, cols, 0, count);

    /// <summary>Scratch for the integer form of <paramref name="count"/> vectors; empty where this instance or its ISA does not use it.</summary>
    private Int16Blocks IntegerScratch(int cols, int count)
    {
        if (Mxfp4Activations != Mxfp4Activations.Int16 || !Mxfp4Int16Dot.Handles(Isa)) return default;
        long blocks = (long)count * Int16Blocks.PaddedBlocks(cols);
        int* ints = _blockInts.Get(2 * blocks);
        return new Int16Blocks(_integerBytes.Get(64 * blocks), ints, ints + blocks);
    }

    /// <summary>
    /// Vectors first..first+count−1 of <paramref name="split"/> into their slots of <paramref name="all"/>, returned as
    /// blocks starting at vector <paramref name="first"/> with these vectors' exponent bounds; empty when
    /// <paramref name="all"/> is or a vector holds inf/NaN.
    /// </summary>
    private static Int16Blocks QuantizeGroup(Int16Blocks all, float* split, int cols, int first, int count)
    {
        if (all.IsEmpty) return default;
        var group = all.Slot(first, cols);
        for (int v = 0; v < count; v++)
            if (!Int16Blocks.Quantize(split + (long)(first + v) * cols, cols, group.Slot(v, cols))) return default;
        return group.WithExponentBounds(count, cols);
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
        _bf16Input.Dispose();
        _native.Dispose();
        _hidden.Dispose();
        _activations.Dispose();
        _partials.Dispose();
        _integerBytes.Dispose();
        _blockInts.Dispose();
        _tokenIntegers.Dispose();
        _selected.Dispose();
        _weights.Dispose();
    }

    /// <summary>One output row's dot product; what a <see cref="GemvJob{TDot}"/> runs per row.</summary>
    private interface IRowDot
    {
        float Dot(int row);
    }

    private readonly struct Mxfp4RowDot(KernelIsa isa, Mxfp4Matrix w, float* xs, Int16Blocks q) : IRowDot
    {
        public float Dot(int row) => Mxfp4Dot.Dot1(isa, w, row, xs, q);
    }

    /// <summary>
    /// A GEMV over rows [start, end), one row after the other: each thread reads one sequential stream, which the
    /// prefetcher keeps ahead of (interleaved row streams read DRAM slower, despite sharing the activation loads).
    /// </summary>
    private readonly struct GemvJob<TDot>(TDot dot, float* y, Bias bias) : IRangeJob where TDot : struct, IRowDot
    {
        public void Run(int start, int end)
        {
            for (int r = start; r < end; r++) y[r] = dot.Dot(r) + bias[r];
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
