using GptOss.Generation;
using System.Buffers;
using System.CommandLine;
using System.Diagnostics;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using GptOss.Engine;
using GptOss.Engine.Checkpoints;
using GptOss.Cli.Hosting;
using GptOss.Harmony;
using GptOss.Hub;

namespace GptOss.Cli.Commands;

/// <summary>`gptoss model inspect|logits|generate|make-random`</summary>
internal static class ModelCommands
{
    public static Command Create()
    {
        var command = new Command("model", "Inspect, run and create gpt-oss checkpoints.");
        command.Subcommands.Add(Inspect());
        command.Subcommands.Add(Logits());
        command.Subcommands.Add(Generate());
        command.Subcommands.Add(MakeRandom());
        return command;
    }

    private static Option<string> ModelOption() => new("--model") { Description = "Checkpoint folder (Hugging Face or OpenAI original/), or a pulled org/name[@rev]", Required = true };
    private static Option<string> DTypeOption() => new("--dtype") { Description = "Activation dtype: bfloat16 (default) or float32", DefaultValueFactory = _ => "bfloat16" };
    private static Option<int> ThreadsOption() => new("--threads") { Description = "libtorch threads (0 = default)" };

    private static Command Inspect()
    {
        var model = ModelOption();
        var context = new Option<int>("--context") { Description = "Positions per sequence (GptOss:MaxContext); 0 = the engine's default, min(model limit, 4096)" };
        var parallel = new Option<int>("--parallel") { Description = "Sequences decoded at once (GptOss:ParallelSequences)", DefaultValueFactory = _ => new EngineOptions().ParallelSequences };
        var command = new Command("inspect", "Print a checkpoint's config, layout, tensors and memory estimate as JSON.");
        foreach (var o in new Option[] { model, context, parallel }) command.Options.Add(o);
        command.SetAction((ParseResult r) => CommandGuard.Run(r, () =>
        {
            int sequences = r.GetValue(parallel), positions = r.GetValue(context);
            if (sequences < 1) throw new ArgumentException($"--parallel {sequences}: at least 1 sequence");
            if (positions < 0) throw new ArgumentException($"--context {positions}: 0 (the default) or more positions");
            using var checkpoint = Checkpoint.Open(HubCache.Resolve(r.GetValue(model)!));
            var c = checkpoint.Config;
            positions = new EngineOptions { MaxContext = positions }.ContextLength(c);
            long perSequence = KvCacheSize.BytesPerSequence(c, positions);
            var entries = checkpoint.Entries;
            long weightBytes = entries.Sum(e => e.ByteLength);
            var json = new
            {
                directory = checkpoint.Directory,
                layout = checkpoint.Layout == CheckpointLayout.HuggingFace ? "huggingface" : "original",
                files = checkpoint.Files.Select(f => new { name = Path.GetFileName(f.Path), bytes = f.Length }),
                config = c,
                tensor_count = entries.Count,
                parameters = c.ParameterCount,
                bytes_by_dtype = entries.GroupBy(e => e.DType).OrderBy(g => g.Key).ToDictionary(g => g.Key, g => g.Sum(e => e.ByteLength)),
                estimated_memory = new
                {
                    mapped_weights_bytes = weightBytes,
                    kv_cache_bytes_bf16_at_4096_tokens = KvCacheEstimate.Bytes(c, 4096, parallel: 1),
                    context = positions,
                    parallel_sequences = sequences,
                    kv_cache_bytes_per_sequence = perSequence,
                    kv_cache_bytes_all_sequences = perSequence * sequences,
                    float32_dense_copies_bytes = entries.Where(e => e.DType == "BF16").Sum(e => e.ByteLength) * 2,
                },
            };
            r.InvocationConfiguration.Output.WriteLine(JsonSerializer.Serialize(json, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower }));
            return Task.FromResult(0);
        }));
        return command;
    }

    private static Command Logits()
    {
        var model = ModelOption();
        var tokens = new Option<string>("--tokens") { Description = "Comma-separated token ids", Required = true };
        var dtype = DTypeOption();
        var threads = ThreadsOption();
        var command = new Command("logits", "Print the top five logits of every position and all logits of the last one, as JSON.");
        foreach (var o in new Option[] { model, tokens, dtype, threads }) command.Options.Add(o);
        command.SetAction((ParseResult r, CancellationToken ct) => CommandGuard.Run(r, async () =>
        {
            var ids = ParseTokens(r.GetValue(tokens)!);
            using var engine = EngineLoader.Load(r.GetValue(model)!, r.GetValue(dtype)!, r.GetValue(threads), Math.Max(ids.Count, 4096));
            var logits = await engine.ComputeLogitsAsync(ids, ct);
            var buffer = new ArrayBufferWriter<byte>();
            using (var json = new Utf8JsonWriter(buffer))
            {
                json.WriteStartObject();
                json.WriteStartArray("tokens");
                foreach (var id in ids) json.WriteNumberValue(id);
                json.WriteEndArray();
                json.WriteStartArray("top5_per_position");
                foreach (var row in logits)
                {
                    json.WriteStartArray();
                    foreach (var id in TopFive(row))
                    {
                        json.WriteStartArray();
                        json.WriteNumberValue(id);
                        json.WriteNumberValue(row[id]);
                        json.WriteEndArray();
                    }
                    json.WriteEndArray();
                }
                json.WriteEndArray();
                json.WriteStartArray("logits_last");
                foreach (var value in logits[^1]) json.WriteNumberValue(value);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            r.InvocationConfiguration.Output.Write(Encoding.UTF8.GetString(buffer.WrittenSpan) + "\n");
            return 0;
        }));
        return command;
    }

    private static Command Generate()
    {
        var model = ModelOption();
        var tokens = new Option<string>("--tokens") { Description = "Prompt as comma-separated token ids" };
        var prompt = new Option<string>("--prompt") { Description = "Prompt text (encoded with o200k_harmony, no special tokens)" };
        var maxNew = new Option<int>("--max-new-tokens") { Description = "Most tokens to generate", DefaultValueFactory = _ => 32 };
        var temperature = new Option<float>("--temperature") { Description = "Sampling temperature; 0 = greedy (default)" };
        var topP = new Option<float>("--top-p") { Description = "Nucleus sampling mass", DefaultValueFactory = _ => 1f };
        var seed = new Option<long?>("--seed") { Description = "Random seed (reproducible sampling)" };
        var dtype = DTypeOption();
        var threads = ThreadsOption();
        var withStats = new Option<bool>("--stats") { Description = "Add a \"stats\" object: load, prefill and decode seconds, finish reason" };
        var command = new Command("generate", "Generate tokens after a prompt; prints {\"tokens\":[...],\"text\":\"...\"}.");
        foreach (var o in new Option[] { model, tokens, prompt, maxNew, temperature, topP, seed, dtype, threads, withStats }) command.Options.Add(o);
        command.SetAction((ParseResult r, CancellationToken ct) => CommandGuard.Run(r, async () =>
        {
            var tokenText = r.GetValue(tokens);
            var promptText = r.GetValue(prompt);
            if ((tokenText is null) == (promptText is null))
                throw new ArgumentException("give exactly one of --tokens and --prompt");
            var ids = tokenText is not null ? ParseTokens(tokenText) : HarmonyTokenizer.Shared.EncodeOrdinary(promptText!);
            int maxNewTokens = r.GetValue(maxNew);
            if (maxNewTokens < 1) throw new ArgumentException("--max-new-tokens must be at least 1");
            using var engine = EngineLoader.Load(r.GetValue(model)!, r.GetValue(dtype)!, r.GetValue(threads), Math.Max(ids.Count + maxNewTokens, 4096));
            var stop = new HashSet<int> { HarmonyTokens.Return, HarmonyTokens.Call };
            if (engine.Config.EosTokenId is { } eos) stop.Add(eos);
            var options = new GenerationOptions
            {
                MaxNewTokens = maxNewTokens, Temperature = r.GetValue(temperature), TopP = r.GetValue(topP), Seed = r.GetValue(seed), StopTokens = stop,
            };
            var generated = new List<int>();
            GenerationStats? stats = null;
            await foreach (var token in engine.GenerateAsync(ids, options, ct))
            {
                generated.Add(token.Id);
                stats = token.Stats;
            }
            var result = new JsonObject
            {
                ["tokens"] = new JsonArray(generated.Select(id => (JsonNode)id).ToArray()),
                ["text"] = HarmonyTokenizer.Shared.Decode(generated),
            };
            if (r.GetValue(withStats) && stats is not null)
                result["stats"] = new JsonObject
                {
                    ["load_seconds"] = Math.Round(engine.LoadTime.TotalSeconds, 3),
                    ["prompt_tokens"] = stats.PromptTokens,
                    ["prefill_seconds"] = Math.Round(stats.PrefillTime.TotalSeconds, 3),
                    ["decode_seconds"] = Math.Round(stats.DecodeTime.TotalSeconds, 3),
                    ["generated_tokens"] = stats.GeneratedTokens,
                    ["finish_reason"] = stats.FinishReason?.ToString(),
                };
            r.InvocationConfiguration.Output.WriteLine(result.ToJsonString(new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
            return 0;
        }));
        return command;
    }

    private static Command MakeRandom()
    {
        var output = new Option<string>("--out") { Description = "Folder to write", Required = true };
        var preset = new Option<string>("--preset") { Description = "tiny, 20b or 120b", DefaultValueFactory = _ => "tiny" };
        var layers = new Option<int?>("--layers") { Description = "Fewer layers than the preset" };
        var vocab = new Option<int?>("--vocab") { Description = "Smaller vocabulary than the preset" };
        var seed = new Option<ulong>("--seed") { Description = "Random seed" };
        var layout = new Option<string>("--layout") { Description = "hf (default) or original", DefaultValueFactory = _ => "hf" };
        var command = new Command("make-random", "Write a random-weight checkpoint in the exact published layout.");
        foreach (var o in new Option[] { output, preset, layers, vocab, seed, layout }) command.Options.Add(o);
        command.SetAction((ParseResult r) => CommandGuard.Run(r, () =>
        {
            var clock = Stopwatch.StartNew();
            var options = new RandomCheckpointOptions
            {
                Preset = r.GetValue(preset)!,
                Layers = r.GetValue(layers),
                Vocab = r.GetValue(vocab),
                Seed = r.GetValue(seed),
                Layout = r.GetValue(layout) switch
                {
                    "hf" => CheckpointLayout.HuggingFace,
                    "original" => CheckpointLayout.Original,
                    var other => throw new ArgumentException($"--layout '{other}': expected hf or original"),
                },
            };
            var files = RandomCheckpoint.Write(r.GetValue(output)!, options);
            r.InvocationConfiguration.Output.WriteLine(JsonSerializer.Serialize(new
            {
                files = files.Select(Path.GetFileName),
                bytes = files.Sum(f => new FileInfo(f).Length),
                seconds = Math.Round(clock.Elapsed.TotalSeconds, 2),
            }));
            return Task.FromResult(0);
        }));
        return command;
    }

    private static List<int> ParseTokens(string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var ids = new List<int>(parts.Length);
        for (int i = 0; i < parts.Length; i++)
            ids.Add(int.TryParse(parts[i], out int id) && id >= 0 ? id : throw new ArgumentException($"--tokens: entry {i} ('{parts[i]}') is not a non-negative integer"));
        return ids;
    }

    /// <summary>Ids of the five largest logits, largest first, ties to the lower id.</summary>
    private static IEnumerable<int> TopFive(float[] row) =>
        Enumerable.Range(0, row.Length).OrderByDescending(i => row[i]).ThenBy(i => i).Take(5);
}
