using GptOss.Cli.Hosting;
using GptOss.Generation;
using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using GptOss.Engine;
using GptOss.Engine.Checkpoints;
using GptOss.Engine.Kernels;

namespace GptOss.Cli.Commands;

/// <summary>
/// `gptoss bench --model DIR [--parallel N]`: load, prefill N random prompts (one per sequence), decode them greedily
/// together, and set the decode speed against the physical limit (weight bytes per token over a read bandwidth measured
/// in the same run).
/// With <c>--json-schema FILE</c> it then decodes again with the answer constrained to that schema, on the same engine and prompt.
/// </summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Checkpoint folder (Hugging Face or OpenAI original/), or a pulled org/name[@rev]", Required = true };
        var promptTokens = new Option<int>("--prompt-tokens") { Description = "Prompt length (random token ids)", DefaultValueFactory = _ => 512 };
        var genTokens = new Option<int>("--gen-tokens") { Description = "Tokens to generate (the first comes from the prefill)", DefaultValueFactory = _ => 64 };
        var threads = new Option<int>("--threads") { Description = "Compute threads (0 = all processors)" };
        var dtype = new Option<string>("--dtype") { Description = "Activation dtype: bfloat16 (default) or float32", DefaultValueFactory = _ => "bfloat16" };
        var parallel = new Option<int>("--parallel") { Description = "Sequences prefilled, then decoded together", DefaultValueFactory = _ => 1 };
        var json = new Option<bool>("--json") { Description = "Print one JSON object" };
        var jsonSchema = new Option<string?>("--json-schema") { Description = "Also measure decoding constrained to this JSON Schema file (constrained_decode_tokens_per_second)" };
        var command = new Command("bench", "Measure load, prefill and decode speed against the memory-bandwidth limit.");
        foreach (var o in new Option[] { model, promptTokens, genTokens, threads, dtype, parallel, json, jsonSchema }) command.Options.Add(o);
        command.SetAction((ParseResult r, CancellationToken ct) => CommandGuard.Run(r, async () =>
        {
            // The schema is compiled before the model loads: an unsupported keyword is an error before any work.
            var constraint = r.GetValue(jsonSchema) is { } file ? ConstrainedDecode.Compile(file) : null;
            var result = await RunAsync(r.GetValue(model)!, r.GetValue(promptTokens), r.GetValue(genTokens), r.GetValue(threads), r.GetValue(dtype)!,
                r.GetValue(parallel), constraint, ct);
            r.InvocationConfiguration.Output.WriteLine(r.GetValue(json) ? JsonSerializer.Serialize(result, JsonOptions) : result.ToText());
            return 0;
        }));
        return command;
    }

    /// <summary>
    /// A sequence's tokens that are not timed: its first (the prefill's) and the two the engine computes ahead of its
    /// caller (<see cref="GptOssEngine.GenerateAsync"/>) while the bench waits for the other prompts and reads the
    /// bandwidth; counting those two made a 64-token decode read 3 % fast, a 32-token one 7 %.
    /// </summary>
    internal const int TokensOffTheClock = 3;

    private static readonly JsonSerializerOptions JsonOptions = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private static async Task<BenchResult> RunAsync(string model, int promptTokens, int genTokens, int threads, string dtype, int parallel,
        ConstrainedDecode? constraint, CancellationToken ct)
    {
        if (promptTokens < 1) throw new ArgumentException($"--prompt-tokens must be at least 1 (got {promptTokens})");
        if (genTokens <= TokensOffTheClock)
            throw new ArgumentException($"--gen-tokens must be at least {TokensOffTheClock + 1} (got {genTokens}): the first {TokensOffTheClock} are computed before the decode's clock starts");
        if (threads < 0) throw new ArgumentException($"--threads must be 0 (all processors) or positive (got {threads})");
        if (parallel < 1) throw new ArgumentException($"--parallel must be at least 1 (got {parallel})");
        int threadCount = threads == 0 ? Environment.ProcessorCount : threads;

        using var phases = new DecodePhaseClock();
        // This run's own peak: earlier work in the process (an in-process run's bandwidth probe) must not count.
        TryResetPeakRss();
        var clock = Stopwatch.StartNew();
        using var engine = EngineLoader.Load(model, dtype, threadCount, promptTokens + genTokens, parallel);
        double loadSeconds = clock.Elapsed.TotalSeconds;

        var random = new Random(1234);
        var prompts = Enumerable.Range(0, parallel)
            .Select(_ => Enumerable.Range(0, promptTokens).Select(_ => random.Next(engine.Config.VocabSize)).ToArray()).ToArray();
        var options = new GenerationOptions { Temperature = 0, MaxNewTokens = genTokens };
        var firstTokens = prompts.Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
        var decode = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        clock.Restart();
        // Each sequence waits after its first token until every prompt is prefilled: then they decode together, on the
        // clock, which for each starts at its TokensOffTheClock-th token.
        var runs = prompts.Select((prompt, i) => Task.Run(async () =>
        {
            int generated = 0;
            double start = 0;
            try
            {
                await foreach (var token in engine.GenerateAsync(prompt, options, ct))
                {
                    if (++generated == 1)
                    {
                        firstTokens[i].SetResult();
                        await decode.Task;
                    }
                    if (generated == TokensOffTheClock) start = clock.Elapsed.TotalSeconds;
                }
            }
            catch (Exception e)
            {
                firstTokens[i].TrySetException(e);   // the bench fails with it instead of waiting for this sequence
                throw;
            }
            return (Timed: generated - TokensOffTheClock, Start: start, End: clock.Elapsed.TotalSeconds);
        }, ct)).ToArray();
        await Task.WhenAll(firstTokens.Select(f => f.Task));
        double firstToken = clock.Elapsed.TotalSeconds;
        var bandwidths = new List<double>();
        // The host's bandwidth moves by 2x within minutes, so the bound brackets the decode: read right before it
        // (while generation waits, off the clock) and right after. The probe's 1 GiB must not count as the engine's
        // peak: keep the peak so far and restart the count around it, or skip this reading where the count cannot restart.
        long peakRss = ProcKilobytes("/proc/self/status", "VmHWM:");
        if (TryResetPeakRss())
        {
            bandwidths.Add(MeasureBandwidth(threadCount));
            TryResetPeakRss();
        }
        phases.Running = true;
        decode.SetResult();
        var ends = await Task.WhenAll(runs);
        phases.Running = false;
        int generatedTokens = ends[0].Timed + TokensOffTheClock;
        var perSequence = ends.Select(e => e.Timed / (e.End - e.Start)).ToArray();
        double aggregate = ends.Sum(e => e.Timed) / (ends.Max(e => e.End) - ends.Min(e => e.Start));

        peakRss = Math.Max(peakRss, ProcKilobytes("/proc/self/status", "VmHWM:"));   // before the last probe's buffer
        long hugePages = ProcKilobytes("/proc/self/smaps_rollup", "FilePmdMapped:");
        var c = engine.Config;
        var shape = new ModelShape(c.NumHiddenLayers, c.HiddenSize, c.NumAttentionHeads, c.NumKeyValueHeads, c.HeadDim,
            c.NumLocalExperts, c.NumExpertsPerTok, c.IntermediateSize, c.VocabSize);
        bandwidths.Add(MeasureBandwidth(threadCount));
        double bandwidth = bandwidths.Average();
        double decodeRate = perSequence.Average();
        double bound = DecodeBound.TokensPerSecond(shape, bandwidth);
        double aggregateBound = DecodeBound.AggregateTokensPerSecond(shape, parallel, bandwidth);
        var phaseMilliseconds = phases.MillisecondsPerStep();
        var phaseBytes = DecodeBound.PhaseBytesPerStep(shape, parallel);
        (int GeneratedTokens, double DecodeTokensPerSecond)? constrained = constraint is null ? null : await constraint.MeasureAsync(engine, prompts[0], genTokens, ct);
        return new BenchResult(
            Model: engine.Model.Name, Dtype: engine.DType == ActivationDType.Float32 ? "float32" : "bfloat16", Threads: threadCount,
            PromptTokens: promptTokens, GenTokens: generatedTokens,
            LoadSeconds: loadSeconds,
            PrefillTokensPerSecond: (double)parallel * promptTokens / firstToken,
            TimeToFirstTokenSeconds: firstToken,
            DecodeTokensPerSecond: decodeRate,
            PeakRssBytes: peakRss,
            FileHugePageBytes: hugePages,
            BytesPerToken: DecodeBound.BytesPerToken(shape),
            ReadBandwidthBytesPerSecond: bandwidth,
            ReadBandwidthSamples: bandwidths,
            BoundTokensPerSecond: bound,
            FractionOfBound: decodeRate / bound,
            Parallel: parallel,
            AggregateDecodeTokensPerSecond: aggregate,
            PerSequenceDecodeTokensPerSecond: decodeRate,
            KvCacheBytesPerSequence: engine.KvCacheBytesPerSequence,
            ContextTokens: engine.Model.ContextLength,
            AggregateBoundTokensPerSecond: aggregateBound,
            AggregateFractionOfBound: aggregate / aggregateBound,
            DecodePhaseMsPerStep: phaseMilliseconds,
            DecodePhaseBytesPerSecond: phaseMilliseconds.Where(p => phaseBytes.ContainsKey(p.Key) && p.Value > 0)
                .ToDictionary(p => p.Key, p => phaseBytes[p.Key] / (p.Value / 1000)))
        {
            ConstrainedGenTokens = constrained?.GeneratedTokens,
            ConstrainedDecodeTokensPerSecond = constrained?.DecodeTokensPerSecond,
            ConstraintFirstMaskSeconds = constraint?.FirstMaskSeconds,
        };
    }

    private static double MeasureBandwidth(int threads)
    {
        using var pool = new KernelThreadPool(threads);
        return MemoryBandwidth.MeasureReadBytesPerSecond(pool);
    }

    /// <summary>Restarts VmHWM at the current resident size (Linux: "5" to /proc/self/clear_refs); false where that is not possible.</summary>
    private static bool TryResetPeakRss()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>
    /// A kB field of a /proc file, in bytes, or -1 where it is absent: VmHWM (the high-water mark of resident memory) and
    /// FilePmdMapped (mapped file bytes in 2 MB pages: the checkpoint's share, which decodes about twice as fast as
    /// weights in 4 KB pages).
    /// </summary>
    private static long ProcKilobytes(string path, string key)
    {
        if (!File.Exists(path)) return -1;
        var line = File.ReadLines(path).FirstOrDefault(l => l.StartsWith(key, StringComparison.Ordinal));
        return line is null ? -1 : long.Parse(line[key.Length..].Trim().Split(' ')[0]) * 1024;
    }

    private sealed record BenchResult(
        string Model, string Dtype, int Threads, int PromptTokens, int GenTokens,
        double LoadSeconds, double PrefillTokensPerSecond, double TimeToFirstTokenSeconds, double DecodeTokensPerSecond,
        long PeakRssBytes, long FileHugePageBytes, long BytesPerToken, double ReadBandwidthBytesPerSecond, IReadOnlyList<double> ReadBandwidthSamples,
        double BoundTokensPerSecond, double FractionOfBound,
        int Parallel, double AggregateDecodeTokensPerSecond, double PerSequenceDecodeTokensPerSecond, long KvCacheBytesPerSequence, int ContextTokens,
        double AggregateBoundTokensPerSecond, double AggregateFractionOfBound,
        IReadOnlyDictionary<string, double> DecodePhaseMsPerStep, IReadOnlyDictionary<string, double> DecodePhaseBytesPerSecond)
    {
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public int? ConstrainedGenTokens { get; init; }
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public double? ConstrainedDecodeTokensPerSecond { get; init; }
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public double? ConstraintFirstMaskSeconds { get; init; }

        public string ToText() => string.Join(Environment.NewLine, Lines());

        private IEnumerable<string> Lines() => new[]
        {
            $"model            {Model} ({Dtype}, {Threads} threads, {PromptTokens} prompt + {GenTokens} generated tokens)",
            $"load             {LoadSeconds:F2} s",
            $"prefill          {PrefillTokensPerSecond:F1} tokens/s (time to first token {TimeToFirstTokenSeconds:F2} s)",
            $"decode           {DecodeTokensPerSecond:F2} tokens/s per sequence, {AggregateDecodeTokensPerSecond:F2} tokens/s over {Parallel} sequence(s)",
            $"bound            {BoundTokensPerSecond:F2} tokens/s = {ReadBandwidthBytesPerSecond / 1e9:F1} GB/s read ({string.Join(" before, ", ReadBandwidthSamples.Select(b => $"{b / 1e9:F1}"))} after decoding) / {BytesPerToken / 1e9:F3} GB per token",
            $"fraction         {FractionOfBound:P1} of the bound",
            $"aggregate bound  {AggregateBoundTokensPerSecond:F2} tokens/s over {Parallel} sequence(s) (each weight read once per step, experts as uniform routing selects them) = {AggregateFractionOfBound:P1} reached",
            $"peak RSS         {PeakRssBytes / 1e9:F2} GB",
            $"KV cache         {KvCacheBytesPerSequence / 1e6:F1} MB per sequence at {ContextTokens} positions",
            $"2 MB pages       {(FileHugePageBytes < 0 ? "n/a" : $"{FileHugePageBytes / 1e9:F2} GB of the mapped weights")}",
            $"decode step      {(DecodePhaseMsPerStep.Count == 0 ? "n/a" : string.Join(", ", DecodePhaseMsPerStep.Select(p => $"{p.Key} {p.Value:F2} ms" + (DecodePhaseBytesPerSecond.TryGetValue(p.Key, out double rate) ? $" ({rate / 1e9:F1} GB/s)" : ""))))}",

        }.Concat(ConstrainedDecodeTokensPerSecond is { } rate
            ? [$"constrained      {rate:F2} tokens/s ({rate / DecodeTokensPerSecond:P0} of decode, {ConstrainedGenTokens} tokens; first mask {ConstraintFirstMaskSeconds * 1000:F1} ms)"]
            : []);
    }
}
