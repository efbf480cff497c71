using GptOss.Engine.Kernels;
using GptOss.KernelBench;
using TorchSharp;

// Kernel throughput at gpt-oss-20b shapes beside the machine's measured read bandwidth; attention first.
// Usage: kernel-bench [--threads N] [--repeats R] [--no-torch]
int threads = Environment.ProcessorCount, repeats = 5;
bool withTorch = true;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--threads" when i + 1 < args.Length && int.TryParse(args[i + 1], out int t) && t > 0: threads = t; i++; break;
        case "--repeats" when i + 1 < args.Length && int.TryParse(args[i + 1], out int r) && r > 0: repeats = r; i++; break;
        case "--no-torch": withTorch = false; break;
        default:
            Console.Error.WriteLine($"kernel-bench: unknown or invalid argument '{args[i]}' (use --threads N, --repeats R, --no-torch)");
            return 2;
    }
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

new AttentionBenchmarks(kernels, repeats).Run();
new Benchmarks(kernels, integerKernels, repeats, readMedian).Run(withTorch);
return 0;
