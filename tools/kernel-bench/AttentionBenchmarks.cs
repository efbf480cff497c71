using GptOss.Engine.Kernels;

namespace GptOss.KernelBench;

/// <summary>
/// <see cref="SinkAttention"/> at the 20b shapes (64 query heads over 8 kv heads, head dim 64, window 128), BF16 cache:
/// one decoded row against growing contexts, and a 512-row prefill, on full and sliding layers.
/// </summary>
internal sealed unsafe class AttentionBenchmarks(CpuKernels kernels, int repeats)
{
    private const int Heads = 64, KvHeads = 8, HeadDim = 64, Window = 128, Context = 4096, PrefillRows = 512;

    public void Run()
    {
        using var weights = new Weights();
        long cacheElements = (long)Context * KvHeads * HeadDim;
        byte* keys = (byte*)weights.Bf16(cacheElements), values = (byte*)weights.Bf16(cacheElements);
        float* queries = weights.Floats((long)PrefillRows * Heads * HeadDim);
        float* output = weights.Floats((long)PrefillRows * Heads * HeadDim);
        float* sinks = weights.Floats(Heads);
        using var attention = new SinkAttention(kernels);
        // The whole cache as one block: a shift past the context keeps every row in block 0.
        byte** keyBlocks = stackalloc byte*[] { keys }, valueBlocks = stackalloc byte*[] { values };
        const int OneBlock = 30;

        Console.WriteLine($"{"attention (SinkAttention, BF16 cache)",-40} {"keys/row",8} {"us/call",17} {"GFLOP/s",15} {"GFLOP/cpu-s",12}");
        foreach (int window in new[] { 0, Window })
        {
            var layout = new AttentionLayout(Heads, KvHeads, HeadDim, window, sinks, bf16: true);
            string kind = window == 0 ? "full" : "sliding";
            foreach (int position in new[] { 575, Context - 1 })
            {
                // Every key before and at the row's position is in the cache.
                var cached = new KeyValueRows(keyBlocks, valueBlocks, Context, OneBlock, null, null, position + 1);
                int visible = position + 1 - layout.FirstVisible(position);
                Line($"decode, {kind}, position {position}", visible, Timing.SecondsPerCall(repeats, 64,
                    _ => attention.Run(layout, cached, queries, 1, position, output)), Flops(visible));
            }
            // A fresh prompt: its own keys and values are the new rows.
            var prompt = new KeyValueRows(keyBlocks, valueBlocks, Context, OneBlock, keys, values, 0);
            double flops = 0;
            for (int row = 0; row < PrefillRows; row++) flops += Flops(row + 1 - layout.FirstVisible(row));
            Line($"prefill {PrefillRows} rows, {kind}", window == 0 ? PrefillRows : Window, Timing.SecondsPerCall(repeats, 2,
                _ => attention.Run(layout, prompt, queries, PrefillRows, 0, output)), flops);
        }
        Console.WriteLine();
    }

    /// <summary>Scores and weighted values of one row: 2 · 2 · heads · keys · head dim.</summary>
    private static double Flops(int keys) => 4.0 * Heads * keys * HeadDim;

    private static void Line(string name, int keys, CallTime t, double flops) =>
        Console.WriteLine($"{name,-40} {keys,8} {t.Best * 1e6,8:F0} /{t.Median * 1e6,7:F0} {flops / t.Best / 1e9,6:F1} /{flops / t.Median / 1e9,6:F1} {flops / t.Cpu / 1e9,12:F1}");
}
