using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using GptOss.Engine.Checkpoints;
using GptOss.Hub;

namespace GptOss.Cli.Commands;

/// <summary>`gptoss ls`, `gptoss show MODEL`, `gptoss rm MODEL`: the models in the Hugging Face hub cache (HF_HOME).</summary>
internal static class ModelStoreCommands
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private static Option<bool> JsonOption() => new("--json") { Description = "Print JSON" };

    public static Command List(Func<HubSettings>? settings = null)
    {
        var json = JsonOption();
        var command = new Command("ls", "List the models in the Hugging Face hub cache: revisions, size, partial downloads.");
        command.Options.Add(json);
        command.SetAction((ParseResult r) => CommandGuard.Run(r, () =>
        {
            var cache = new HubCache((settings ?? HubSettings.FromEnvironment)().CacheRoot);
            var repos = cache.List();
            var output = r.InvocationConfiguration.Output;
            if (r.GetValue(json))
            {
                output.WriteLine(JsonSerializer.Serialize(repos.Select(repo => new
                {
                    repo = repo.Repo,
                    refs = repo.Refs,
                    snapshots = repo.Snapshots,
                    size_on_disk = repo.SizeOnDisk,
                    incomplete_bytes = repo.IncompleteBytes,
                    last_modified = repo.LastModifiedUtc,
                    path = repo.Folder,
                }), Json));
                return 0;
            }
            if (repos.Count == 0)
            {
                output.WriteLine($"no models in {cache.Root}; get one with 'gptoss pull gpt-oss-20b'");
                return 0;
            }
            var rows = repos.Select(repo => new[]
            {
                repo.Repo,
                repo.Refs.Count == 0 ? "(no ref: incomplete)" : string.Join(", ", repo.Refs.Select(p => $"{p.Key} {p.Value[..Math.Min(7, p.Value.Length)]}")),
                Bytes.Format(repo.SizeOnDisk),
                repo.IncompleteBytes > 0 ? $"{Bytes.Format(repo.IncompleteBytes)} partial" : "",
                repo.LastModifiedUtc.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture),
            }).Prepend(["REPO", "REVISIONS", "SIZE", "PARTIAL", "MODIFIED (UTC)"]).ToList();
            var widths = Enumerable.Range(0, rows[0].Length).Select(c => rows.Max(row => row[c].Length)).ToArray();
            foreach (var row in rows)
                output.WriteLine(string.Join("  ", row.Select((cell, c) => cell.PadRight(widths[c]))).TrimEnd());
            return 0;
        }));
        return command;
    }

    public static Command Remove(Func<HubSettings>? settings = null)
    {
        var model = new Argument<string>("model") { Description = "org/name or an alias (gpt-oss-20b); every revision is removed" };
        var json = JsonOption();
        var command = new Command("rm", "Remove a model (all its revisions and partial downloads) from the Hugging Face hub cache.");
        command.Arguments.Add(model);
        command.Options.Add(json);
        command.SetAction((ParseResult r) => CommandGuard.Run(r, () =>
        {
            var cache = new HubCache((settings ?? HubSettings.FromEnvironment)().CacheRoot);
            var reference = RepoReference.Parse(r.GetValue(model)!);
            var folder = cache.RepoFolder(reference);
            long freed = cache.Remove(reference);
            r.InvocationConfiguration.Output.WriteLine(r.GetValue(json)
                ? JsonSerializer.Serialize(new { repo = reference.Repo, path = folder, bytes_freed = freed })
                : $"removed {reference.Repo} ({Bytes.Format(freed)} freed)");
            return 0;
        }));
        return command;
    }

    public static Command Show(Func<HubSettings>? settings = null)
    {
        var model = new Argument<string>("model") { Description = "A checkpoint folder, or org/name[@revision] / alias from the hub cache" };
        var context = new Option<int>("--context") { Description = "Positions per sequence the KV cache holds", DefaultValueFactory = _ => 4096 };
        var parallel = new Option<int>("--parallel") { Description = "Sequences decoded at once", DefaultValueFactory = _ => 1 };
        var json = JsonOption();
        var command = new Command("show", "Show a model's config, layout, bytes by dtype and the memory it needs for a context and number of parallel sequences.");
        command.Arguments.Add(model);
        foreach (var o in new Option[] { context, parallel, json }) command.Options.Add(o);
        command.SetAction((ParseResult r) => CommandGuard.Run(r, () =>
        {
            string name = r.GetValue(model)!;
            int positions = r.GetValue(context), sequences = r.GetValue(parallel);
            if (positions < 1) throw new ArgumentException($"--context {positions}: at least 1 position");
            if (sequences < 1) throw new ArgumentException($"--parallel {sequences}: at least 1 sequence");
            using var checkpoint = Checkpoint.Open(new HubCache((settings ?? HubSettings.FromEnvironment)().CacheRoot).ResolveModel(name));
            var config = checkpoint.Config;
            if (positions > config.MaxPositionEmbeddings)
                throw new ArgumentException($"--context {positions}: the model's max_position_embeddings is {config.MaxPositionEmbeddings}");
            var byDType = checkpoint.Entries.GroupBy(e => e.DType).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Sum(e => e.ByteLength));
            long weights = byDType.Values.Sum();
            long kv = KvCacheEstimate.Bytes(config, positions, sequences);
            string layout = checkpoint.Layout == CheckpointLayout.HuggingFace ? "huggingface" : "original";
            var output = r.InvocationConfiguration.Output;
            if (r.GetValue(json))
            {
                output.WriteLine(JsonSerializer.Serialize(new
                {
                    model = name,
                    directory = checkpoint.Directory,
                    layout,
                    files = checkpoint.Files.Select(f => new { name = Path.GetFileName(f.Path), bytes = f.Length }),
                    config,
                    parameters = config.ParameterCount,
                    bytes_by_dtype = byDType,
                    memory = new
                    {
                        context = positions,
                        parallel = sequences,
                        weights_bytes = weights,
                        kv_cache_bytes_per_position = KvCacheEstimate.BytesPerPosition(config) * config.NumHiddenLayers,
                        kv_cache_bytes = kv,
                        total_bytes = weights + kv,
                    },
                }, Json));
                return 0;
            }
            int sliding = config.SlidingLayers.Count(s => s);
            output.WriteLine($"{name}  ({checkpoint.Directory})");
            output.WriteLine($"layout      {layout}, {checkpoint.Files.Count} safetensors file(s), {checkpoint.Entries.Count} tensors");
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"parameters  {config.ParameterCount:N0}"));
            output.WriteLine($"layers      {config.NumHiddenLayers} ({sliding} sliding, window {config.SlidingWindow}), {config.NumLocalExperts} experts, {config.NumExpertsPerTok} per token");
            output.WriteLine($"attention   {config.NumAttentionHeads} heads, {config.NumKeyValueHeads} kv heads, head dim {config.HeadDim}; vocabulary {config.VocabSize}; context up to {config.MaxPositionEmbeddings}");
            output.WriteLine($"weights     {Bytes.Format(weights)}: {string.Join(", ", byDType.Select(p => $"{p.Key} {Bytes.Format(p.Value)}"))}");
            output.WriteLine($"kv cache    {Bytes.Format(kv)} (bf16) for {positions} positions x {sequences} sequence(s)");
            output.WriteLine($"memory      {Bytes.Format(weights + kv)} (weights + kv cache)");
            return 0;
        }));
        return command;
    }
}
