using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GptOss.Engine.Kernels;

/// <summary>
/// The AVX-512 path: a work item is a kv head and a block of rows, whose queries (rows × group, about 64) lie across
/// vector lanes. Scores are computed a key at a time for 16 queries per vector (query dimension broadcast from the key,
/// no horizontal sums), kept key-major so the softmax runs lane-wise, and the values are summed with 8 output columns of
/// 16 queries in registers. Keys outside a query's range (causal, window) are masked to −∞ lane by lane.
/// </summary>
public sealed unsafe partial class SinkAttention
{
    /// <summary>Queries per work item: 4 vectors, each key row loaded once for all of them.</summary>
    private const int TiledQueries = 64;

    private void RunTiled(in AttentionLayout l, in KeyValueRows kv, float* queries, int rows, int start, float* output)
    {
        int blockRows = Math.Max(1, TiledQueries / l.Group);
        int blocks = (rows + blockRows - 1) / blockRows;
        int width = (Math.Min(blockRows, rows) * l.Group + 15) & ~15;
        // The most keys an item sees (its first row's first key to its last row), rounded up so a growing context
        // reallocates the scratch every 256 tokens.
        int keys = l.Window > 0 ? Math.Min(l.Window + blockRows - 1, start + rows) : start + rows;
        keys = (keys + 255) & ~255;
        long itemFloats = (long)l.HeadDim * width + (long)keys * width + (long)keys * l.HeadDim;
        int blocksPerDispatch = (int)Math.Clamp(scratchFloats / (itemFloats * l.KvHeads), 1, blocks);
        float* scratch = _scores.Get(blocksPerDispatch * l.KvHeads * itemFloats);
        for (int first = 0; first < blocks; first += blocksPerDispatch)
        {
            int count = Math.Min(blocksPerDispatch, blocks - first);
            kernels.Pool.For(count * l.KvHeads, 1, new TiledJob(l, kv, queries, rows, start, blockRows, first, scratch, itemFloats, keys, output));
        }
    }

    private readonly struct TiledJob(AttentionLayout l, KeyValueRows kv, float* queries, int rows, int start, int blockRows,
        int firstBlock, float* scratch, long itemFloats, int keys, float* output) : IRangeJob
    {
        public void Run(int begin, int end)
        {
            for (int item = begin; item < end; item++) RunItem(item);
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void RunItem(int item)
        {
            int d = l.HeadDim, group = l.Group;
            int block = firstBlock + item / l.KvHeads, kvHead = item % l.KvHeads;
            int r0 = block * blockRows, r1 = Math.Min(rows, r0 + blockRows);
            int m = (r1 - r0) * group, vectors = (m + 15) >> 4, width = vectors * 16;
            int lo = l.FirstVisible(start + r0), n = start + r1 - lo;
            long headBytes = (long)d * (l.Bf16 ? sizeof(ushort) : sizeof(float)), rowBytes = l.KvHeads * headBytes;

            float* qt = scratch + item * itemFloats;   // queries transposed [d, width]
            float* st = qt + (long)d * width;          // scores, then probabilities [n, width]
            float* vf = st + (long)keys * width;       // values as float32 [n, d]
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
                Scores(Load(KernelIsa.Avx512, l, kv.Key(lo + j, kvHead, rowBytes, headBytes), key), qt, width, vectors, lo + j,
                    firstVisible, lastVisible, st + (long)j * width);
            for (int v = 0; v < vectors; v++) Softmax(st + v * 16, width, n, Vector512.Load(sinks + v * 16));
            for (int j = 0; j < n; j++)
            {
                float* value = vf + (long)j * d;
                float* row = Load(KernelIsa.Avx512, l, kv.Value(lo + j, kvHead, rowBytes, headBytes), value);
                if (row != value) Buffer.MemoryCopy(row, value, d * sizeof(float), d * sizeof(float));
            }
            for (int v = 0; v < vectors; v++) Values(st + v * 16, width, n, vf, outputs + v * 16);
        }

        /// <summary>Scores of one key for every query lane: 4 vectors at a time, each dimension broadcast from the key.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void Scores(float* key, float* qt, int width, int vectors, int position, int* firstVisible, int* lastVisible, float* scores)
        {
            int d = l.HeadDim, v = 0;
            for (; v + 4 <= vectors; v += 4)
            {
                Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
                float* column = qt + v * 16;
                for (int c = 0; c < d; c++, column += width)
                {
                    var k = Vector512.Create(key[c]);
                    a0 = Avx512F.FusedMultiplyAdd(Vector512.Load(column), k, a0);
                    a1 = Avx512F.FusedMultiplyAdd(Vector512.Load(column + 16), k, a1);
                    a2 = Avx512F.FusedMultiplyAdd(Vector512.Load(column + 32), k, a2);
                    a3 = Avx512F.FusedMultiplyAdd(Vector512.Load(column + 48), k, a3);
                }
                StoreScore(a0, v, position, firstVisible, lastVisible, scores);
                StoreScore(a1, v + 1, position, firstVisible, lastVisible, scores);
                StoreScore(a2, v + 2, position, firstVisible, lastVisible, scores);
                StoreScore(a3, v + 3, position, firstVisible, lastVisible, scores);
            }
            for (; v < vectors; v++)
            {
                // Four partial sums over the dimensions: one chain would wait on the FMA latency at every step.
                Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
                float* column = qt + v * 16;
                int c = 0;
                for (; c + 4 <= d; c += 4, column += 4 * width)
                {
                    a0 = Avx512F.FusedMultiplyAdd(Vector512.Load(column), Vector512.Create(key[c]), a0);
                    a1 = Avx512F.FusedMultiplyAdd(Vector512.Load(column + width), Vector512.Create(key[c + 1]), a1);
                    a2 = Avx512F.FusedMultiplyAdd(Vector512.Load(column + 2 * width), Vector512.Create(key[c + 2]), a2);
                    a3 = Avx512F.FusedMultiplyAdd(Vector512.Load(column + 3 * width), Vector512.Create(key[c + 3]), a3);
                }
                for (; c < d; c++, column += width)
                    a0 = Avx512F.FusedMultiplyAdd(Vector512.Load(column), Vector512.Create(key[c]), a0);
                StoreScore((a0 + a1) + (a2 + a3), v, position, firstVisible, lastVisible, scores);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void StoreScore(Vector512<float> dot, int v, int position, int* firstVisible, int* lastVisible, float* scores)
        {
            var scale = Vector512.Create(l.Scale);
            var score = l.Bf16 ? RoundToBf16(RoundToBf16(dot) * scale) : dot * scale;
            var p = Vector512.Create(position);
            var visible = Vector512.GreaterThanOrEqual(p, Vector512.Load(firstVisible + v * 16))
                & Vector512.LessThanOrEqual(p, Vector512.Load(lastVisible + v * 16));
            Vector512.ConditionalSelect(visible.AsSingle(), score, Vector512.Create(float.NegativeInfinity)).Store(scores + v * 16);
        }

        /// <summary>One vector of query lanes down the key-major scores: max (with the sink), exp, sum (with the sink), normalize.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void Softmax(float* s, int width, int n, Vector512<float> sink)
        {
            var max = sink;
            for (int j = 0; j < n; j++) max = Vector512.Max(max, Vector512.Load(s + (long)j * width));
            var sum = Vector512<float>.Zero;
            for (int j = 0; j < n; j++)
            {
                var e = Exp(Vector512.Load(s + (long)j * width) - max);
                e.Store(s + (long)j * width);
                sum += e;
            }
            var inverse = Vector512<float>.One / (sum + Exp(sink - max));
            for (int j = 0; j < n; j++)
            {
                var p = Vector512.Load(s + (long)j * width) * inverse;
                (l.Bf16 ? RoundToBf16(p) : p).Store(s + (long)j * width);
            }
        }

        /// <summary>Σ_j p[j]·v[j] for one vector of query lanes, 8 output columns at a time in registers.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void Values(float* p, int width, int n, float* values, long* outputs)
        {
            // The sums leave the registers by plain stores: a call while they are live would make the JIT keep them
            // on the stack through the whole loop.
            float* sums = stackalloc float[8 * 16];
            int d = l.HeadDim, c = 0;
            for (; c + 8 <= d; c += 8)
            {
                Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
                for (int j = 0; j < n; j++)
                {
                    var pj = Vector512.Load(p + (long)j * width);
                    float* v = values + (long)j * d + c;
                    a0 = Avx512F.FusedMultiplyAdd(pj, Vector512.Create(v[0]), a0);
                    a1 = Avx512F.FusedMultiplyAdd(pj, Vector512.Create(v[1]), a1);
                    a2 = Avx512F.FusedMultiplyAdd(pj, Vector512.Create(v[2]), a2);
                    a3 = Avx512F.FusedMultiplyAdd(pj, Vector512.Create(v[3]), a3);
                    a4 = Avx512F.FusedMultiplyAdd(pj, Vector512.Create(v[4]), a4);
                    a5 = Avx512F.FusedMultiplyAdd(pj, Vector512.Create(v[5]), a5);
                    a6 = Avx512F.FusedMultiplyAdd(pj, Vector512.Create(v[6]), a6);
                    a7 = Avx512F.FusedMultiplyAdd(pj, Vector512.Create(v[7]), a7);
                }
                a0.Store(sums);
                a1.Store(sums + 16);
                a2.Store(sums + 32);
                a3.Store(sums + 48);
                a4.Store(sums + 64);
                a5.Store(sums + 80);
                a6.Store(sums + 96);
                a7.Store(sums + 112);
                for (int t = 0; t < 8; t++) Write(sums + t * 16, c + t, outputs);
            }
            for (; c < d; c++)
            {
                Vector512<float> a = default;
                for (int j = 0; j < n; j++)
                    a = Avx512F.FusedMultiplyAdd(Vector512.Load(p + (long)j * width), Vector512.Create(values[(long)j * d + c]), a);
                a.Store(sums);
                Write(sums, c, outputs);
            }
        }

        /// <summary>Output column <paramref name="column"/> of each real query lane from 16 lane sums.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void Write(float* lanes, int column, long* outputs)
        {
            if (l.Bf16) RoundToBf16(Vector512.Load(lanes)).Store(lanes);
            for (int i = 0; i < 16; i++)
                if (outputs[i] >= 0) output[outputs[i] + column] = lanes[i];
        }

        /// <summary>
        /// e^x for x ≤ 0 (a score minus the max), within about 2 ulp: x = n·ln2 + r (ln2 split in two for exactness),
        /// e^r by a degree-6 polynomial (Cephes expf), times 2^n built in the exponent bits. Below −87 (near where
        /// float32 turns subnormal) and at −∞ the result is 0; clamping there first keeps every lane's arithmetic out of
        /// subnormals, which cost a microcode assist each. The runtime's vector Exp is far slower here.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector512<float> Exp(Vector512<float> x)
        {
            var small = Vector512.LessThan(x, Vector512.Create(-87f));
            var t = Vector512.Max(x, Vector512.Create(-87f));
            var n = Vector512.Floor(Avx512F.FusedMultiplyAdd(t, Vector512.Create(1.44269504088896341f), Vector512.Create(0.5f)));
            var r = Avx512F.FusedMultiplyAddNegated(n, Vector512.Create(0.693359375f), t);
            r = Avx512F.FusedMultiplyAddNegated(n, Vector512.Create(-2.12194440e-4f), r);
            var y = Vector512.Create(1.9875691500e-4f);
            y = Avx512F.FusedMultiplyAdd(y, r, Vector512.Create(1.3981999507e-3f));
            y = Avx512F.FusedMultiplyAdd(y, r, Vector512.Create(8.3334519073e-3f));
            y = Avx512F.FusedMultiplyAdd(y, r, Vector512.Create(4.1665795894e-2f));
            y = Avx512F.FusedMultiplyAdd(y, r, Vector512.Create(1.6666665459e-1f));
            y = Avx512F.FusedMultiplyAdd(y, r, Vector512.Create(5.0000001201e-1f));
            y = Avx512F.FusedMultiplyAdd(y, r * r, r + Vector512<float>.One);
            var scale = ((Vector512.ConvertToInt32(n) + Vector512.Create(127)) << 23).AsSingle();
            return Vector512.ConditionalSelect(small, Vector512<float>.Zero, y * scale);
        }

        /// <summary>Round to nearest even BF16, lane-wise (finite values and infinities; scores and sums are never NaN here).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector512<float> RoundToBf16(Vector512<float> x)
        {
            var bits = x.AsUInt32();
            var rounded = bits + Vector512.Create(0x7FFFu) + ((bits >> 16) & Vector512<uint>.One);
            return (rounded & Vector512.Create(0xFFFF0000u)).AsSingle();
        }
    }
}
