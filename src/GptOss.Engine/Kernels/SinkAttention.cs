using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GptOss.Engine.Kernels;

/// <summary>One attention layer's shape: query heads share kv head n / (Heads / KvHeads); sinks are float32 [Heads].</summary>
internal readonly unsafe struct AttentionLayout
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
/// Where a pass finds the keys and values of a position: positions before <see cref="NewStart"/> in the KV cache's
/// blocks (row = position mod capacity, in block row &gt;&gt; blockShift), the pass's own positions in its new rows. Rows
/// are [kvHeads, headDim], BF16 bits or float32 as the layout says.
/// </summary>
internal readonly unsafe struct KeyValueRows(byte** keyBlocks, byte** valueBlocks, int capacity, int blockShift, byte* newKeys, byte* newValues, int newStart)
{
    public readonly int NewStart = newStart;

    public byte* Key(int position, int kvHead, long rowBytes, long headBytes) => Row(keyBlocks, newKeys, position, rowBytes) + kvHead * headBytes;

    public byte* Value(int position, int kvHead, long rowBytes, long headBytes) => Row(valueBlocks, newValues, position, rowBytes) + kvHead * headBytes;

    private byte* Row(byte** blocks, byte* fresh, int position, long rowBytes)
    {
        if (position >= NewStart) return fresh + (position - NewStart) * rowBytes;
        int row = position < capacity ? position : position % capacity;   // a division only where a ring wraps
        return blocks[row >> blockShift] + (row & ((1 << blockShift) - 1)) * rowBytes;
    }
}

/// <summary>
/// Grouped-query attention with learned sinks for query rows at consecutive positions, on raw pointers. Each row scores
/// only the keys it may see; the softmax runs over those scores plus the head's sink (a column without a value, so it
/// only adds to the denominator); the probabilities weight the values. BF16 mode rounds scores (before and after the
/// scale), probabilities and outputs to BF16 where libtorch's BF16 path does.
/// <para>
/// A work item is a kv head and a block of rows whose queries (rows × group, about 64) lie across vector lanes
/// (<see cref="ILanes{TSelf}"/>): scores are computed a key at a time for a vector of queries with each key dimension
/// broadcast (no horizontal sums) and kept key-major, so the softmax runs lane-wise; the values are summed with 8 output
/// columns in registers. Keys outside a query's range (causal, window) are masked to −∞ lane by lane. Each key and
/// value row is loaded (and widened from BF16) once per item.
/// </para>
/// </summary>
/// <param name="scratchFloats">Scratch floats per dispatch (default 16 MB): bounds the memory whatever the context length;
/// longer passes take several dispatches.</param>
internal sealed unsafe class SinkAttention(CpuKernels kernels, long scratchFloats = SinkAttention.DefaultScratchFloats) : IDisposable
{
    public const long DefaultScratchFloats = 4L << 20;

    /// <summary>Queries per work item: each key and value row it loads serves all of them.</summary>
    private const int QueriesPerItem = 64;

    /// <summary>Value rows widened at a time (16 KB at head dim 64: stays in L1 while every query lane uses it).</summary>
    private const int ValueTile = 64;

    private readonly NativeBuffer<float> _scratch = new();

    /// <summary>
    /// <paramref name="queries"/> float32 [rows, Heads, HeadDim] at positions start.. → <paramref name="output"/> float32
    /// [rows, Heads, HeadDim] (BF16 values in BF16 mode). Every position a row may see must be in <paramref name="kv"/>.
    /// </summary>
    public void Run(in AttentionLayout layout, in KeyValueRows kv, float* queries, int rows, int start, float* output)
    {
        if (queries == null) throw new ArgumentNullException(nameof(queries));
        if (output == null) throw new ArgumentNullException(nameof(output));
        if (rows <= 0) return;
        // Lanes compute the same per-lane arithmetic, so the choice moves no result. A decoded row's group (8 queries in
        // gpt-oss) would leave half of a 16-lane vector empty: it runs faster on 8 lanes.
        int itemQueries = Math.Min(rows, Math.Max(1, QueriesPerItem / layout.Group)) * layout.Group;
        switch (kernels.Isa)
        {
            case KernelIsa.Avx512 when itemQueries > Lanes256.Count: Run<Lanes512>(layout, kv, queries, rows, start, output); break;
            case KernelIsa.Avx512 or KernelIsa.Avx2: Run<Lanes256>(layout, kv, queries, rows, start, output); break;
            default: Run<Lane1>(layout, kv, queries, rows, start, output); break;
        }
    }

    public void Dispose() => _scratch.Dispose();

    private void Run<TLanes>(in AttentionLayout l, in KeyValueRows kv, float* queries, int rows, int start, float* output)
        where TLanes : struct, ILanes<TLanes>
    {
        int blockRows = Math.Max(1, QueriesPerItem / l.Group);
        int blocks = (rows + blockRows - 1) / blockRows;
        int width = RoundUp(Math.Min(blockRows, rows) * l.Group, TLanes.Count);
        // The most keys an item sees (its first row's first key to its last row), rounded up so a growing context
        // reallocates the scratch every 256 tokens, not every one.
        int keys = RoundUp(l.Window > 0 ? Math.Min(l.Window + blockRows - 1, start + rows) : start + rows, 256);
        long itemFloats = (long)l.HeadDim * width + (long)keys * width + (long)ValueTile * l.HeadDim;
        int blocksPerDispatch = (int)Math.Clamp(scratchFloats / (itemFloats * l.KvHeads), 1, blocks);
        float* scratch = _scratch.Get(blocksPerDispatch * l.KvHeads * itemFloats);
        for (int first = 0; first < blocks; first += blocksPerDispatch)
        {
            int count = Math.Min(blocksPerDispatch, blocks - first);
            kernels.Pool.For(count * l.KvHeads, 1,
                new Job<TLanes>(kernels.Isa, l, kv, queries, rows, start, blockRows, first, scratch, itemFloats, keys, output));
        }
    }

    /// <summary>Key/value rows requested ahead of their use.</summary>
    private const int Prefetch = 8;

    /// <summary>Requests the cache lines of one head's row (up to two: 128 bytes at D = 64 in BF16).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Prefetch2(byte* row, long bytes)
    {
        Sse.Prefetch0(row);
        if (bytes > 64) Sse.Prefetch0(row + 64);
    }

    private static int RoundUp(int n, int multiple) => (n + multiple - 1) / multiple * multiple;

    /// <summary>A key or value row as float32: BF16 rows widened into <paramref name="converted"/>, float32 rows as they are.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float* Load(KernelIsa isa, in AttentionLayout l, byte* row, float* converted)
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

    private readonly struct Job<TLanes>(KernelIsa isa, AttentionLayout l, KeyValueRows kv, float* queries, int rows, int start,
        int blockRows, int firstBlock, float* scratch, long itemFloats, int keys, float* output) : IRangeJob
        where TLanes : struct, ILanes<TLanes>
    {
        public void Run(int begin, int end)
        {
            for (int item = begin; item < end; item++) RunItem(item);
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void RunItem(int item)
        {
            int d = l.HeadDim, group = l.Group, lanes = TLanes.Count;
            int block = firstBlock + item / l.KvHeads, kvHead = item % l.KvHeads;
            int r0 = block * blockRows, r1 = Math.Min(rows, r0 + blockRows);
            int m = (r1 - r0) * group, width = RoundUp(m, lanes), vectors = width / lanes;
            int lo = l.FirstVisible(start + r0), n = start + r1 - lo;
            long headBytes = (long)d * (l.Bf16 ? sizeof(ushort) : sizeof(float)), rowBytes = l.KvHeads * headBytes;

            float* qt = scratch + item * itemFloats;   // queries transposed [d, width]; then the output sums
            float* st = qt + (long)d * width;          // scores, then probabilities, key-major [n, width]
            float* tile = st + (long)keys * width;     // value rows as float32 [ValueTile, d]
            int* firstVisible = stackalloc int[width];
            int* lastVisible = stackalloc int[width];
            float* sinks = stackalloc float[width];
            long* outputs = stackalloc long[width];
            for (int i = 0; i < width; i++)
            {
                if (i < m)
                {
                    int row = r0 + i / group, head = kvHead * group + i % group;
                    firstVisible[i] = l.FirstVisible(start + row);
                    lastVisible[i] = start + row;
                    sinks[i] = l.Sinks[head];
                    outputs[i] = ((long)row * l.Heads + head) * d;
                    float* q = queries + outputs[i];
                    for (int c = 0; c < d; c++) qt[c * width + i] = q[c];
                }
                else
                {
                    // A padding lane sees no key: its probabilities are 0 and its outputs are dropped.
                    firstVisible[i] = int.MaxValue;
                    lastVisible[i] = int.MinValue;
                    sinks[i] = 0f;
                    outputs[i] = -1;
                    for (int c = 0; c < d; c++) qt[c * width + i] = 0f;
                }
            }

            float* key = stackalloc float[d];
            for (int j = 0; j < n; j++)
            {
                // One kv head's rows lie a cache row apart (kvHeads · D elements): the hardware prefetchers stop at
                // page ends, so ask for rows a few keys ahead.
                if (j + Prefetch < n) Prefetch2(kv.Key(lo + j + Prefetch, kvHead, rowBytes, headBytes), headBytes);
                Scores(Load(isa, l, kv.Key(lo + j, kvHead, rowBytes, headBytes), key), qt, width, vectors, lo + j,
                    firstVisible, lastVisible, st + (long)j * width);
            }
            for (int v = 0; v < vectors; v++) Softmax(st + v * lanes, width, n, TLanes.Load(sinks + v * lanes));

            // The transposed queries are spent: their space collects Σ_j p[j]·v[j] [d, width], a tile of values at a time.
            float* sums = qt;
            new Span<float>(sums, d * width).Clear();
            for (int j0 = 0; j0 < n; j0 += ValueTile)
            {
                int count = Math.Min(ValueTile, n - j0);
                for (int j = 0; j < count; j++)
                {
                    if (j0 + j + Prefetch < n) Prefetch2(kv.Value(lo + j0 + j + Prefetch, kvHead, rowBytes, headBytes), headBytes);
                    float* value = tile + (long)j * d;
                    float* row = Load(isa, l, kv.Value(lo + j0 + j, kvHead, rowBytes, headBytes), value);
                    if (row != value) Buffer.MemoryCopy(row, value, d * sizeof(float), d * sizeof(float));
                }
                for (int v = 0; v < vectors; v++) Values(st + (long)j0 * width + v * lanes, width, count, tile, sums + v * lanes);
            }
            for (int c = 0; c < d; c++)
                for (int i = 0; i < m; i++)
                {
                    float sum = sums[c * width + i];
                    output[outputs[i] + c] = l.Bf16 ? Fp.RoundToBf16(sum) : sum;
                }
        }

        /// <summary>Scores of one key for every query lane: 4 vectors at a time, each dimension broadcast from the key.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void Scores(float* key, float* qt, int width, int vectors, int position, int* firstVisible, int* lastVisible, float* scores)
        {
            int d = l.HeadDim, lanes = TLanes.Count, v = 0;
            for (; v + 4 <= vectors; v += 4)
            {
                TLanes a0 = TLanes.Zero, a1 = TLanes.Zero, a2 = TLanes.Zero, a3 = TLanes.Zero;
                float* column = qt + v * lanes;
                for (int c = 0; c < d; c++, column += width)
                {
                    var k = TLanes.Broadcast(key[c]);
                    a0 = TLanes.Fma(TLanes.Load(column), k, a0);
                    a1 = TLanes.Fma(TLanes.Load(column + lanes), k, a1);
                    a2 = TLanes.Fma(TLanes.Load(column + 2 * lanes), k, a2);
                    a3 = TLanes.Fma(TLanes.Load(column + 3 * lanes), k, a3);
                }
                StoreScore(a0, v, position, firstVisible, lastVisible, scores);
                StoreScore(a1, v + 1, position, firstVisible, lastVisible, scores);
                StoreScore(a2, v + 2, position, firstVisible, lastVisible, scores);
                StoreScore(a3, v + 3, position, firstVisible, lastVisible, scores);
            }
            for (; v < vectors; v++)
            {
                // Four partial sums over the dimensions: one chain would wait on the FMA latency at every step.
                TLanes a0 = TLanes.Zero, a1 = TLanes.Zero, a2 = TLanes.Zero, a3 = TLanes.Zero;
                float* column = qt + v * lanes;
                int c = 0;
                for (; c + 4 <= d; c += 4, column += 4 * width)
                {
                    a0 = TLanes.Fma(TLanes.Load(column), TLanes.Broadcast(key[c]), a0);
                    a1 = TLanes.Fma(TLanes.Load(column + width), TLanes.Broadcast(key[c + 1]), a1);
                    a2 = TLanes.Fma(TLanes.Load(column + 2 * width), TLanes.Broadcast(key[c + 2]), a2);
                    a3 = TLanes.Fma(TLanes.Load(column + 3 * width), TLanes.Broadcast(key[c + 3]), a3);
                }
                for (; c < d; c++, column += width)
                    a0 = TLanes.Fma(TLanes.Load(column), TLanes.Broadcast(key[c]), a0);
                StoreScore(TLanes.Add(TLanes.Add(a0, a1), TLanes.Add(a2, a3)), v, position, firstVisible, lastVisible, scores);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void StoreScore(TLanes dot, int v, int position, int* firstVisible, int* lastVisible, float* scores)
        {
            var scale = TLanes.Broadcast(l.Scale);
            var score = l.Bf16 ? TLanes.RoundToBf16(TLanes.Multiply(TLanes.RoundToBf16(dot), scale)) : TLanes.Multiply(dot, scale);
            int offset = v * TLanes.Count;
            TLanes.Visible(score, position, firstVisible + offset, lastVisible + offset).Store(scores + offset);
        }

        /// <summary>One vector of query lanes down the key-major scores: max (with the sink), exp, sum (with the sink), normalize.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void Softmax(float* s, int width, int n, TLanes sink)
        {
            var max = sink;
            for (int j = 0; j < n; j++) max = TLanes.Max(max, TLanes.Load(s + (long)j * width));
            var sum = TLanes.Zero;
            for (int j = 0; j < n; j++)
            {
                var e = TLanes.Exp(TLanes.Subtract(TLanes.Load(s + (long)j * width), max));
                e.Store(s + (long)j * width);
                sum = TLanes.Add(sum, e);
            }
            var inverse = TLanes.Divide(TLanes.Broadcast(1f), TLanes.Add(sum, TLanes.Exp(TLanes.Subtract(sink, max))));
            for (int j = 0; j < n; j++)
            {
                var p = TLanes.Multiply(TLanes.Load(s + (long)j * width), inverse);
                (l.Bf16 ? TLanes.RoundToBf16(p) : p).Store(s + (long)j * width);
            }
        }

        /// <summary>
        /// sums[c] += Σ_j p[j]·v[j][c] for one vector of query lanes over a tile of values, 8 columns at a time in
        /// registers (loaded from and stored back to <paramref name="sums"/> [d, width] once per tile).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void Values(float* p, int width, int n, float* values, float* sums)
        {
            int d = l.HeadDim, c = 0;
            for (; c + 8 <= d; c += 8)
            {
                float* s = sums + (long)c * width;
                TLanes a0 = TLanes.Load(s), a1 = TLanes.Load(s + width), a2 = TLanes.Load(s + 2 * width), a3 = TLanes.Load(s + 3 * width);
                TLanes a4 = TLanes.Load(s + 4 * width), a5 = TLanes.Load(s + 5 * width), a6 = TLanes.Load(s + 6 * width), a7 = TLanes.Load(s + 7 * width);
                for (int j = 0; j < n; j++)
                {
                    var pj = TLanes.Load(p + (long)j * width);
                    float* v = values + (long)j * d + c;
                    a0 = TLanes.Fma(pj, TLanes.Broadcast(v[0]), a0);
                    a1 = TLanes.Fma(pj, TLanes.Broadcast(v[1]), a1);
                    a2 = TLanes.Fma(pj, TLanes.Broadcast(v[2]), a2);
                    a3 = TLanes.Fma(pj, TLanes.Broadcast(v[3]), a3);
                    a4 = TLanes.Fma(pj, TLanes.Broadcast(v[4]), a4);
                    a5 = TLanes.Fma(pj, TLanes.Broadcast(v[5]), a5);
                    a6 = TLanes.Fma(pj, TLanes.Broadcast(v[6]), a6);
                    a7 = TLanes.Fma(pj, TLanes.Broadcast(v[7]), a7);
                }
                a0.Store(s);
                a1.Store(s + width);
                a2.Store(s + 2 * width);
                a3.Store(s + 3 * width);
                a4.Store(s + 4 * width);
                a5.Store(s + 5 * width);
                a6.Store(s + 6 * width);
                a7.Store(s + 7 * width);
            }
            for (; c < d; c++)
            {
                float* s = sums + (long)c * width;
                var a = TLanes.Load(s);
                for (int j = 0; j < n; j++)
                    a = TLanes.Fma(TLanes.Load(p + (long)j * width), TLanes.Broadcast(values[(long)j * d + c]), a);
                a.Store(s);
            }
        }
    }
}
