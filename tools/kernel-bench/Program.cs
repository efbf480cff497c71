using GptOss.Engine.Kernels;
using GptOss.KernelBench;
using TorchSharp;

// Kernel throughput at gpt-oss-20b shapes beside the machine's measured read bandwidth; attention first.
// Usage: kernel-bench [--threads N] [--repeats R] [--no-torch] [--batched-only]
//        kernel-bench --decode-batch CHECKPOINT [--batch 1,2,4,8] [--steps S] [--threads N] [--repeats R]
int threads = Environment.ProcessorCount, repeats = 5, steps = 8;
bool withTorch = true, batchedOnly = false;
string? decodeBatchCheckpoint = null;
int[] batchSizes = [1, 2, 4, 8];
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--threads" when i + 1 < args.Length && int.TryParse(args[i + 1], out int t) && t > 0: threads = t; i++; break;
        case "--repeats" when i + 1 < args.Length && int.TryParse(args[i + 1], out int r) && r > 0: repeats = r; i++; break;
        case "--no-torch": withTorch = false; break;
        case "--batched-only": batchedOnly = true; break;
        case "--decode-batch" when i + 1 < args.Length: decodeBatchCheckpoint = args[++i]; break;
        case "--steps" when i + 1 < args.Length && int.TryParse(args[i + 1], out int s) && s > 0: steps = s; i++; break;
        case "--batch" when i + 1 < args.Length && args[i + 1].Split(',').All(n => int.TryParse(n, out int b) && b > 0):
            batchSizes = args[++i].Split(',').Select(int.Parse).ToArray(); break;
        default:
            Console.Error.WriteLine($"kernel-bench: unknown or invalid argument '{args[i]}' (use --threads N, --repeats R, --no-torch, --batched-only, --decode-batch CHECKPOINT, --batch 1,2,4,8, --steps S)");
            return 2;
    }
}

if (decodeBatchCheckpoint is not null)
{
    torch.set_num_threads(threads);
    new DecodeBatchBenchmark(decodeBatchCheckpoint, threads, repeats, batchSizes, steps).Run();
    return 0;
}

using var pool = new KernelThreadPool(threads);
using var kernels = new CpuKernels(pool);
using var integerKernels = new CpuKernels(pool, mxfp4Activations: Mxfp4Activations.Int16);
Console.WriteLine($"kernel-bench: {Environment.ProcessorCount} cpus, {threads} threads, path {kernels.Isa}, {repeats} repeats (best / median)");

var bandwidth = new double[repeats];
for (int r = 0; r < repeats; r++) bandwidth[r] = MemoryBandwidth.MeasureReadBytesPerSecond(pool, repeats: 1);
Array.Sort(bandwidth, (a, b) => b.CompareTo(a));
double readBest = bandwidth[0], readMedian = bandwidth[repeats / 2];
Console.WriteLine($"read bandwidth (1 GiB, parallel): {readBest / 1e9:F1} / {readMedian / 1e9:F1} GB/s");
Console.WriteLine();

if (!batchedOnly) new AttentionBenchmarks(kernels, repeats).Run();
new Benchmarks(kernels, integerKernels, repeats, readMedian).Run(withTorch, batchedOnly);
return 0;
