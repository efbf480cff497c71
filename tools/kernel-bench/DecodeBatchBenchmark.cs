using System.Diagnostics;
using GptOss.Engine.Checkpoints;
using GptOss.Engine.Forward;
using GptOss.Engine.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace GptOss.KernelBench;

/// <summary>
/// Aggregate decode tokens/s of the CPU pass's <see cref="CpuForwardPass.DecodeBatch"/> over N sequences against the same
/// N sequences decoded one after another (<see cref="CpuForwardPass.DecodeOne"/>), on a checkpoint (BF16 activations),
/// in interleaved rounds so both sides meet the same host noise. Each measurement decodes the same steps from the same
/// positions (a rollback: the caches are rewritten in place), after a prompt per sequence.
/// </summary>
internal sealed class DecodeBatchBenchmark(string checkpointPath, int threads, int repeats, int[] batchSizes, int steps)
{
    private const int PromptTokens = 32, Context = 1024;

    public void Run()
    {
        using var checkpoint = Checkpoint.Open(checkpointPath);
        using var inference = torch.inference_mode();
        var config = checkpoint.Config;
        var weights = ModelWeights.Load(checkpoint, ScalarType.BFloat16, CPU);
        using var pass = new CpuForwardPass(weights, new RotaryEmbedding(config, Context, CPU), threads);
        int vocabulary = config.VocabSize, largest = batchSizes.Max();
        var random = new Random(1);
        var caches = Enumerable.Range(0, largest).Select(_ => weights.NewCache(Context, 32)).ToArray();
        foreach (var cache in caches)
        {
            using var scope = torch.NewDisposeScope();
            pass.Prefill(Enumerable.Range(0, PromptTokens).Select(_ => random.Next(vocabulary)).ToArray(), 0, cache, allPositions: false);
        }
        var tokens = Enumerable.Range(0, steps * largest).Select(_ => random.Next(vocabulary)).ToArray();
        var logits = new float[largest * vocabulary];

        using var process = Process.GetCurrentProcess();
        Rate Timed(int n, Action decode)
        {
            process.Refresh();
            var cpuStart = process.TotalProcessorTime;
            long start = Stopwatch.GetTimestamp();
            decode();
            double wall = Stopwatch.GetElapsedTime(start).TotalSeconds;
            process.Refresh();
            return new Rate(n * steps / wall, n * steps / (process.TotalProcessorTime - cpuStart).TotalSeconds);
        }

        Rate Batched(int n) => Timed(n, () =>
        {
            var positions = new int[n];
            var stepCaches = caches.Take(n).ToArray();
            for (int s = 0; s < steps; s++)
            {
                Array.Fill(positions, PromptTokens + s);
                pass.DecodeBatch(tokens.AsSpan(s * largest, n), positions, stepCaches, logits.AsSpan(0, n * vocabulary));
            }
        });

        Rate OneAfterAnother(int n) => Timed(n, () =>
        {
            for (int s = 0; s < steps; s++)
                for (int i = 0; i < n; i++)
                    pass.DecodeOne(tokens[s * largest + i], PromptTokens + s, caches[i], logits.AsSpan(0, vocabulary));
        });

        Batched(largest);   // warm up: JIT, page faults of every expert the prompts did not touch
        OneAfterAnother(1);
        var batched = batchSizes.ToDictionary(n => n, _ => new List<Rate>());
        var alone = batchSizes.ToDictionary(n => n, _ => new List<Rate>());
        for (int r = 0; r < repeats; r++)
            foreach (int n in batchSizes)
            {
                batched[n].Add(Batched(n));
                alone[n].Add(OneAfterAnother(n));
            }

        Console.WriteLine($"decode batch: {checkpointPath} ({config.NumHiddenLayers} layers, {config.NumLocalExperts} experts top-{config.NumExpertsPerTok}, vocab {vocabulary}), bf16, {threads} threads, {steps} steps × {repeats} interleaved rounds");
        Console.WriteLine("tok/s: aggregate tokens per wall second, median / best; tok/cpu-s: per CPU second of the process (what a token costs on an oversubscribed host), median;");
        Console.WriteLine("ratio: DecodeBatch over N × DecodeOne, the median of each round's own ratio");
        Console.WriteLine($"{"N",3} {"DecodeBatch tok/s",19} {"tok/cpu-s",10} {"N×DecodeOne tok/s",19} {"tok/cpu-s",10} {"ratio wall",11} {"ratio cpu",10}");
        foreach (int n in batchSizes)
        {
            var (b, a) = (batched[n], alone[n]);
            double wallRatio = Median(b.Zip(a, (x, y) => x.Wall / y.Wall)), cpuRatio = Median(b.Zip(a, (x, y) => x.Cpu / y.Cpu));
            Console.WriteLine($"{n,3} {Median(b.Select(x => x.Wall)),9:F2} / {b.Max(x => x.Wall),6:F2} {Median(b.Select(x => x.Cpu)),10:F2} " +
                $"{Median(a.Select(x => x.Wall)),9:F2} / {a.Max(x => x.Wall),6:F2} {Median(a.Select(x => x.Cpu)),10:F2} {wallRatio,11:F2} {cpuRatio,10:F2}");
        }
        foreach (var cache in caches) cache.Dispose();
    }

    /// <summary>Tokens per wall second and per CPU second of the process.</summary>
    private readonly record struct Rate(double Wall, double Cpu);

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }
}
