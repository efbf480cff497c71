using System.Runtime.Intrinsics.X86;

namespace GptOss.Engine.Kernels;

/// <summary>
/// MXFP4 matrices over many tokens (prefill's experts) without the matrix ever existing whole in BF16: the pool splits
/// the rows into tiles of <see cref="TileRows"/>; a thread dequantizes its tile into an L2-resident BF16 buffer
/// (column blocks of all its rows side by side) and runs every token against it with <see cref="Avx512Bf16Tile"/>,
/// then hands the tile's sums to an <see cref="ITileOutput"/>. Tokens are BF16 rows (the BF16 mode's activations).
/// Each sum adds exact BF16 products in float32, k-pair by k-pair from column 0, whatever the other tokens: a token's
/// result does not depend on which tokens share the matrix. AVX512-BF16 only (<see cref="IsSupported"/>).
/// </summary>
internal sealed unsafe class Mxfp4TileGemm : IDisposable
{
    /// <summary>Rows per tile: one narrow kernel call, two wide ones; a multiple of four (SwiGLU's k-pairs).</summary>
    public const int TileRows = Avx512Bf16Tile.NarrowRows;

    private readonly KernelThreadPool _pool;
    private readonly KernelIsa _isa;
    private readonly TileSlots _slots;
    private readonly NativeBuffer<uint> _tokens = new();
    private readonly NativeBuffer<uint> _activations = new();
    private readonly NativeBuffer<int> _tokenRows = new();
    private readonly NativeBuffer<float> _weights = new();

    public Mxfp4TileGemm(KernelThreadPool pool)
    {
        _pool = pool ?? throw new ArgumentNullException(nameof(pool));
        if (!IsSupported) throw new PlatformNotSupportedException("the MXFP4 tile GEMM needs a CPU with AVX512-BF16 on Linux x64");
        _isa = KernelIsa.Avx512;
        _slots = new TileSlots(pool.ThreadCount);
    }

    public static bool IsSupported => Avx512Bf16Tile.IsSupported;

    /// <summary>y[t·W.Rows + r] = Σ_c W[r, c]·x[t·W.Cols + c] for BF16 rows x [tokens, W.Cols] (no bias, no rounding).</summary>
    public void Gemm(in Mxfp4Matrix w, ushort* x, int tokens, float* y)
    {
        if (tokens <= 0) return;
        var layout = new TileTokens(tokens, w.Cols);
        uint* packed = _tokens.Get(layout.Dwords);
        _pool.For(layout.Padded, 16, new PackJob(layout, x, w.Cols, null, packed));
        Run(w, packed, layout, new TileSums(y, tokens, w.Rows));
    }

    /// <summary>
    /// One expert over its tokens as the BF16 tensor pass runs it: for token i (row <c>tokenRows[i]</c> of the BF16
    /// <paramref name="hidden"/> [N, H] and of the float32 <paramref name="output"/> [N, H]),
    /// <c>output += weights[i]·bf16(down·bf16(SwiGLU(bf16(gate_up·h + b1))) + b2)</c>.
    /// </summary>
    public void Expert(in Mxfp4Experts experts, int expert, ushort* hidden, ReadOnlySpan<int> tokenRows, ReadOnlySpan<float> weights, float swigluLimit, float* output)
    {
        int count = tokenRows.Length;
        if (weights.Length != count) throw new ArgumentException($"{count} tokens but {weights.Length} weights", nameof(weights));
        if (count == 0) return;
        int* rows = _tokenRows.Get(count);
        float* tokenWeights = _weights.Get(count);
        tokenRows.CopyTo(new Span<int>(rows, count));
        weights.CopyTo(new Span<float>(tokenWeights, count));

        experts.LearnScaleBounds(expert);   // known in-range scales let the dequantization skip its per-block check
        var gateUp = experts.GateUp(expert);
        var inputs = new TileTokens(count, gateUp.Cols);
        uint* packedInputs = _tokens.Get(inputs.Dwords);
        _pool.For(inputs.Padded, 16, new PackJob(inputs, hidden, gateUp.Cols, rows, packedInputs));

        var down = experts.Down(expert);
        var activations = new TileTokens(count, down.Cols);
        uint* packedActivations = _activations.Get(activations.Dwords);
        Run(gateUp, packedInputs, inputs, new TileSwiGlu(experts.GateUpBias(expert), swigluLimit, activations, packedActivations));
        Run(down, packedActivations, activations, new TileWeightedSum(experts.DownBias(expert), rows, tokenWeights, count, output, experts.Hidden));
    }

    private void Run<TOutput>(in Mxfp4Matrix w, uint* tokens, TileTokens layout, TOutput output) where TOutput : struct, ITileOutput
    {
        _slots.Prepare((long)TileRows * w.Cols, (long)TileRows * layout.Padded);
        int tiles = (w.Rows + TileRows - 1) / TileRows;
        _pool.For(tiles, 1, new TileJob<TOutput>(_isa, w, tokens, layout, _slots, output));
    }

    private readonly struct PackJob(TileTokens layout, ushort* rows, long rowElements, int* rowOf, uint* dest) : IRangeJob
    {
        public void Run(int start, int end) => layout.Pack(rows, rowElements, rowOf, dest, start, end);
    }

    private readonly struct TileJob<TOutput>(KernelIsa isa, Mxfp4Matrix w, uint* tokens, TileTokens layout, TileSlots slots, TOutput output) : IRangeJob
        where TOutput : struct, ITileOutput
    {
        public void Run(int start, int end)
        {
            int slot = slots.Claim();
            try
            {
                ushort* tile = slots.Tile(slot);
                float* sums = slots.Sums(slot);
                for (int i = start; i < end; i++) RunTile(i * TileRows, tile, sums);
            }
            finally
            {
                slots.Release(slot);
            }
        }

        private void RunTile(int rowStart, ushort* tile, float* sums)
        {
            const int blockElements = TileRows * Avx512Bf16Tile.BlockColumns;
            int rows = Math.Min(TileRows, w.Rows - rowStart), blocks = w.BlocksPerRow, padded = layout.Padded;
            int nextRows = Math.Min(TileRows, w.Rows - rowStart - TileRows);
            for (int r = 0; r < rows; r++)
            {
                // The next tile's packed row into L2 now, so it is there when this tile's GEMM is done (demand misses
                // of a 36 KB stream that starts after a pause are what the dequantization waited for).
                if (r < nextRows) PrefetchRow(rowStart + TileRows + r);
                Mxfp4Dequantize.RowToBf16(isa, w, rowStart + r, tile + Avx512Bf16Tile.BlockColumns * r, blockElements);
            }
            for (int g = 0; g < blocks && rows < TileRows; g++)   // a last, short tile: zero rows, their sums unread
                new Span<ushort>(tile + (long)g * blockElements + Avx512Bf16Tile.BlockColumns * rows, Avx512Bf16Tile.BlockColumns * (TileRows - rows)).Clear();
            for (int first = 0; first < padded; first += Avx512Bf16Tile.WideTokens)
            {
                uint* x = tokens + (long)first * layout.KPairs;
                if (layout.Width(first) == Avx512Bf16Tile.WideTokens)
                    for (int r = 0; r < TileRows; r += Avx512Bf16Tile.WideRows)
                        Avx512Bf16Tile.Run(true, tile + Avx512Bf16Tile.BlockColumns * r, x, blocks, blockElements, sums + (long)r * padded + first, padded);
                else
                    Avx512Bf16Tile.Run(false, tile, x, blocks, blockElements, sums + first, padded);
            }
            output.Rows(rowStart, rows, sums, padded);
        }

        private void PrefetchRow(int row)
        {
            byte* blocks = w.RowBlocks(row);
            int bytes = w.BlocksPerRow * Mxfp4Matrix.BlockBytes;
            for (int offset = 0; offset < bytes; offset += 64) Sse.Prefetch1(blocks + offset);
            Sse.Prefetch1(w.RowScales(row));
            Sse.Prefetch1(w.RowScales(row) + w.BlocksPerRow - 1);
        }
    }

    public void Dispose()
    {
        _slots.Dispose();
        _tokens.Dispose();
        _activations.Dispose();
        _tokenRows.Dispose();
        _weights.Dispose();
    }
}
