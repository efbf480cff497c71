using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GptOss.Engine.Kernels;

/// <summary>One attention layer's shape: query heads share kv head n / (Heads / KvHeads); sinks are float32 [Heads].</summary>
public readonly unsafe struct AttentionLayout
{
    public readonly int Heads, KvHeads, HeadDim;
    /// <summary>Keys each query sees: the last Window positions including its own; 0 = the whole causal prefix.</summary>
    public readonly int Window;
    public readonly float Scale;
    public readonly float* Sinks;
    /// <summary>Keys and values are BF16 bits, and scores, probabilities and outputs are rounded to BF16 where a BF16 tensor path rounds.</summary>
    public readonly bool Bf16;

    public AttentionLayout(int heads, int kvHeads, int headDim, int window, float* sinks, bool bf16)
    {
        if (kvHeads <= 0 || heads <= 0 || heads % kvHeads != 0)
            throw new ArgumentException($"{heads} query heads cannot be grouped over {kvHeads} kv heads");
        if (headDim <= 0) throw new ArgumentOutOfRangeException(nameof(headDim), headDim, "head dimension must be positive");
        if (window < 0) throw new ArgumentOutOfRangeException(nameof(window), window, "window must be 0 (full) or positive");
        if (sinks == null) throw new ArgumentNullException(nameof(sinks));
        Heads = heads;
        KvHeads = kvHeads;
        HeadDim = headDim;
        Window = window;
        Scale = (float)(1.0 / Math.Sqrt(headDim));
        Sinks = sinks;
        Bf16 = bf16;
    }

    public int Group => Heads / KvHeads;

    /// <summary>The first position a query at <paramref name="position"/> sees.</summary>
    public int FirstVisible(int position) => Window > 0 ? Math.Max(0, position - Window + 1) : 0;
}

/// <summary>
/// Where a pass finds the keys and values of a position: positions before <see cref="NewStart"/> in the KV cache
/// (slot = position mod capacity), the pass's own positions in its new rows. Rows are [kvHeads, headDim], BF16 bits or
/// float32 as the layout says.
/// </summary>
public readonly unsafe struct KeyValueRows(byte* cacheKeys, byte* cacheValues, int capacity, byte* newKeys, byte* newValues, int newStart)
{
    public readonly int NewStart = newStart;

    public byte* Key(int position, int kvHead, long rowBytes, long headBytes) => Row(cacheKeys, newKeys, position, rowBytes) + kvHead * headBytes;

    public byte* Value(int position, int kvHead, long rowBytes, long headBytes) => Row(cacheValues, newValues, position, rowBytes) + kvHead * headBytes;

    private byte* Row(byte* cache, byte* fresh, int position, long rowBytes) =>
        position >= NewStart ? fresh + (position - NewStart) * rowBytes : cache + position % capacity * rowBytes;
}

/// <summary>
/// Grouped-query attention with learned sinks for query rows at consecutive positions, on raw pointers. Each row scores
/// only the keys it may see; the softmax runs over those scores plus the head's sink (a column without a value, so it
/// only adds to the denominator); the probabilities weight the values. Work items are (row, kv head): the kv head's
/// queries share each key and value row it loads. Scores live in reused scratch, a bounded block of rows at a time.
/// </summary>
public sealed unsafe class SinkAttention(CpuKernels kernels) : IDisposable
{
    /// <summary>Score floats per dispatch (16 MB): bounds the scratch whatever the context length.</summary>
    private const long ScoreBudget = 4L << 20;

    private readonly NativeBuffer<float> _scores = new();

    /// <summary>
    /// <paramref name="queries"/> float32 [rows, Heads, HeadDim] at positions start.. → <paramref name="output"/> float32
    /// [rows, Heads, HeadDim] (BF16 values in BF16 mode). Every position a row may see must be in <paramref name="kv"/>.
    /// </summary>
    public void Run(in AttentionLayout layout, in KeyValueRows kv, float* queries, int rows, int start, float* output)
    {
        if (queries == null) throw new ArgumentNullException(nameof(queries));
        if (output == null) throw new ArgumentNullException(nameof(output));
        if (rows <= 0) return;
        int stride = start + rows - layout.FirstVisible(start + rows - 1);   // the last row sees the most keys
        int block = (int)Math.Clamp(ScoreBudget / ((long)layout.Heads * stride), 1, rows);
        // Rounded up so a growing context (one more key per decoded token) reallocates every 256 tokens, not every one.
        float* scores = _scores.Get((long)block * layout.Heads * ((stride + 255) & ~255));
        for (int first = 0; first < rows; first += block)
        {
            int count = Math.Min(block, rows - first);
            kernels.Pool.For(count * layout.KvHeads, 1, new Job(kernels.Isa, layout, kv, queries, first, start, scores, stride, output));
        }
    }

    public void Dispose() => _scores.Dispose();

    private readonly struct Job(KernelIsa isa, AttentionLayout l, KeyValueRows kv, float* queries, int firstRow, int start,
        float* scores, int stride, float* output) : IRangeJob
    {
        public void Run(int begin, int end)
        {
            int d = l.HeadDim, group = l.Group;
            long headBytes = (long)d * (l.Bf16 ? sizeof(ushort) : sizeof(float)), rowBytes = l.KvHeads * headBytes;
            float* converted = stackalloc float[d];
            for (int item = begin; item < end; item++)
            {
                int row = firstRow + item / l.KvHeads, kvHead = item % l.KvHeads;
                int position = start + row, from = l.FirstVisible(position), count = position - from + 1;
                long firstHead = (long)row * l.Heads + kvHead * group;
                float* q = queries + firstHead * d, o = output + firstHead * d;
                float* s = scores + (long)item * group * stride;

                for (int j = 0; j < count; j++)
                {
                    float* k = Load(kv.Key(from + j, kvHead, rowBytes, headBytes), converted);
                    for (int g = 0; g < group; g++)
                    {
                        float dot = Dot(q + g * d, k, d);
                        s[g * stride + j] = l.Bf16 ? Fp.RoundToBf16(Fp.RoundToBf16(dot) * l.Scale) : dot * l.Scale;
                    }
                }
                for (int g = 0; g < group; g++)
                    Softmax(s + g * stride, count, l.Sinks[kvHead * group + g]);

                new Span<float>(o, group * d).Clear();
                for (int j = 0; j < count; j++)
                {
                    float* v = Load(kv.Value(from + j, kvHead, rowBytes, headBytes), converted);
                    for (int g = 0; g < group; g++) Axpy(s[g * stride + j], v, o + g * d, d);
                }
                if (l.Bf16)
                    for (int i = 0; i < group * d; i++) o[i] = Fp.RoundToBf16(o[i]);
            }
        }

        /// <summary>Scores → probabilities in place; the sink joins the max and the denominator (as a last column would).</summary>
        private void Softmax(float* s, int count, float sink)
        {
            float max = sink;
            for (int j = 0; j < count; j++) max = Math.Max(max, s[j]);
            float sum = 0f;
            for (int j = 0; j < count; j++)
            {
                float e = MathF.Exp(s[j] - max);
                s[j] = e;
                sum += e;
            }
            float inverse = 1f / (sum + MathF.Exp(sink - max));
            for (int j = 0; j < count; j++)
            {
                float p = s[j] * inverse;
                s[j] = l.Bf16 ? Fp.RoundToBf16(p) : p;
            }
        }

        /// <summary>A key or value row as float32: BF16 rows widened into <paramref name="converted"/>, float32 rows as they are.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private float* Load(byte* row, float* converted)
        {
            if (!l.Bf16) return (float*)row;
            var bits = (ushort*)row;
            int d = l.HeadDim, i = 0;
            if (isa == KernelIsa.Avx512)
                for (; i + 16 <= d; i += 16)
                    (Avx512F.ConvertToVector512UInt32(Vector256.Load(bits + i)) << 16).AsSingle().Store(converted + i);
            else if (isa == KernelIsa.Avx2)
                for (; i + 8 <= d; i += 8)
                    (Avx2.ConvertToVector256Int32(Vector128.Load(bits + i)) << 16).AsSingle().Store(converted + i);
            for (; i < d; i++) converted[i] = Fp.Bf16ToFloat(bits[i]);
            return converted;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private float Dot(float* a, float* b, int n)
        {
            int i = 0;
            float sum = 0f;
            if (isa == KernelIsa.Avx512 && n >= 16)
            {
                var acc = Vector512<float>.Zero;
                for (; i + 16 <= n; i += 16) acc = Avx512F.FusedMultiplyAdd(Vector512.Load(a + i), Vector512.Load(b + i), acc);
                sum = Vector512.Sum(acc);
            }
            else if (isa != KernelIsa.Scalar && n >= 8)
            {
                var acc = Vector256<float>.Zero;
                for (; i + 8 <= n; i += 8) acc = Fma.MultiplyAdd(Vector256.Load(a + i), Vector256.Load(b + i), acc);
                sum = Vector256.Sum(acc);
            }
            for (; i < n; i++) sum += a[i] * b[i];
            return sum;
        }

        /// <summary>y += a·x.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void Axpy(float a, float* x, float* y, int n)
        {
            int i = 0;
            if (isa == KernelIsa.Avx512)
            {
                var va = Vector512.Create(a);
                for (; i + 16 <= n; i += 16) Avx512F.FusedMultiplyAdd(va, Vector512.Load(x + i), Vector512.Load(y + i)).Store(y + i);
            }
            else if (isa == KernelIsa.Avx2)
            {
                var va = Vector256.Create(a);
                for (; i + 8 <= n; i += 8) Fma.MultiplyAdd(va, Vector256.Load(x + i), Vector256.Load(y + i)).Store(y + i);
            }
            for (; i < n; i++) y[i] += a * x[i];
        }
    }
}
