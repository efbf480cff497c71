using System.Buffers.Binary;
using System.CommandLine;
using System.Text.Json.Nodes;
using GptOss.Cli.Commands;
using GptOss.Testing;

namespace GptOss.Cli.Tests;

/// <summary>`gptoss model inspect|logits|generate|make-random` on the tiny fixtures, invoked in-process.</summary>
public sealed class ModelCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gptoss-model-cli-").FullName;
    private static readonly JsonNode Golden = JsonNode.Parse(File.ReadAllText(TestPaths.TinyExpected("hf-a", "f32")))!;
    private static readonly string GoldenTokens = string.Join(",", Golden["tokens"]!.AsArray().Select(t => (int)t!));

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Task<(int Exit, string Out, string Err)> Run(params string[] args) =>
        CommandRun.Invoke([ModelCommands.Create()], ["model", .. args]);

    private static async Task<JsonNode> RunJson(params string[] args)
    {
        var (exit, output, error) = await Run(args);
        Assert.True(exit == 0, $"exit {exit}: {error}");
        Assert.Equal("", error);
        return JsonNode.Parse(output)!;
    }

    /// <summary>Runs a command that must fail: non-zero exit and exactly one <c>error:</c> line on stderr.</summary>
    private static async Task<string> RunError(params string[] args)
    {
        var (exit, output, error) = await Run(args);
        Assert.NotEqual(0, exit);
        Assert.Equal("", output);
        var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.StartsWith("error: ", line);
        return line;
    }

    private static int[] Ints(JsonNode? array) => array!.AsArray().Select(n => (int)n!).ToArray();

    [Fact]
    public async Task LogitsMatchTheFloat32Golden()
    {
        var json = await RunJson("logits", "--model", TestPaths.TinyFixture("hf-a"), "--tokens", GoldenTokens, "--dtype", "float32");

        Assert.Equal(Ints(Golden["tokens"]), Ints(json["tokens"]));
        var rows = json["top5_per_position"]!.AsArray();
        var expectedRows = Golden["top5_per_position"]!.AsArray();
        Assert.Equal(expectedRows.Count, rows.Count);
        for (int p = 0; p < rows.Count; p++)
        {
            var row = rows[p]!.AsArray();
            Assert.Equal(5, row.Count);
            for (int k = 0; k < 5; k++)
            {
                var (pair, expected) = (row[k]!.AsArray(), expectedRows[p]![k]!.AsArray());
                Assert.Equal(2, pair.Count);
                Assert.True((int)pair[0]! == (int)expected[0]!, $"position {p} rank {k}: id {pair[0]} != {expected[0]}");
                Assert.True(Math.Abs((double)pair[1]! - (double)expected[1]!) <= 1e-3, $"position {p} rank {k}: logit {pair[1]} vs {expected[1]}");
            }
        }
        var last = json["logits_last"]!.AsArray().Select(v => (double)v!).ToArray();
        var expectedLast = Golden["logits_last"]!.AsArray().Select(v => (double)v!).ToArray();
        Assert.Equal(expectedLast.Length, last.Length);
        for (int i = 0; i < last.Length; i++)
            Assert.True(Math.Abs(last[i] - expectedLast[i]) <= 1e-3, $"logits_last[{i}]: {last[i]} vs {expectedLast[i]}");
    }

    [Fact]
    public async Task GreedyGenerateGivesTheGoldenIdsAndText()
    {
        var json = await RunJson("generate", "--model", TestPaths.TinyFixture("hf-a"), "--tokens", GoldenTokens,
            "--temperature", "0", "--max-new-tokens", "8", "--dtype", "float32");

        Assert.Equal(Ints(Golden["greedy"]), Ints(json["tokens"]));
        Assert.NotNull(json["text"]?.GetValue<string>());
    }

    [Fact]
    public async Task InspectNamesTheOriginalLayoutAndEveryTensor()
    {
        string dir = TestPaths.TinyFixture("original-b");
        var json = await RunJson("inspect", "--model", dir);

        Assert.Equal("original", (string)json["layout"]!);
        Assert.Equal(SafetensorsTensorCount(Path.Combine(dir, "model.safetensors")), (int)json["tensor_count"]!);
    }

    [Fact]
    public async Task InspectShowsTheKvCacheOfEachSequenceAtTheConfiguredContext()
    {
        var json = await RunJson("inspect", "--model", TestPaths.TinyFixture("original-b"), "--context", "1000", "--parallel", "3");

        var memory = json["estimated_memory"]!;
        var config = json["config"]!;
        int window = (int)config["sliding_window"]!, kvRow = 2 * (int)config["num_key_value_heads"]! * (int)config["head_dim"]! * 2;
        var sliding = config["sliding_layers"]!.AsArray().Select(n => (bool)n!).ToArray();
        // Full layers in whole 256-row blocks (1000 → 1024 rows), sliding ones a ring of the window + 256 rollback rows.
        long expected = sliding.Sum(s => (s ? window + 256L : 1024L) * kvRow);
        Assert.Equal(1000, (int)memory["context"]!);
        Assert.Equal(3, (int)memory["parallel_sequences"]!);
        Assert.Equal(expected, (long)memory["kv_cache_bytes_per_sequence"]!);
        Assert.Equal(3 * expected, (long)memory["kv_cache_bytes_all_sequences"]!);
    }

    /// <summary>Tensor entries in a safetensors header: u64 length, then a JSON object (plus <c>__metadata__</c>).</summary>
    private static int SafetensorsTensorCount(string file)
    {
        using var stream = File.OpenRead(file);
        var length = new byte[8];
        stream.ReadExactly(length);
        var header = new byte[BinaryPrimitives.ReadUInt64LittleEndian(length)];
        stream.ReadExactly(header);
        return JsonNode.Parse(header)!.AsObject().Count(p => p.Key != "__metadata__");
    }

    [Fact]
    public async Task MakeRandomWritesACheckpointThatLogitsRuns()
    {
        string dir = Path.Combine(_dir, "random-tiny");
        var made = await RunJson("make-random", "--out", dir, "--preset", "tiny", "--seed", "7");
        Assert.NotEmpty(made["files"]!.AsArray());
        int vocab = (int)JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "config.json")))!["vocab_size"]!;

        var json = await RunJson("logits", "--model", dir, "--tokens", "1,2,3", "--dtype", "float32");

        Assert.Equal([1, 2, 3], Ints(json["tokens"]));
        Assert.Equal(3, json["top5_per_position"]!.AsArray().Count);
        var last = json["logits_last"]!.AsArray().Select(v => (float)v!).ToArray();
        Assert.Equal(vocab, last.Length);
        Assert.All(last, v => Assert.True(float.IsFinite(v)));
        // The last position's top five are the five largest of logits_last, ties to the lower id.
        var expectedTop = Enumerable.Range(0, vocab).OrderByDescending(i => last[i]).ThenBy(i => i).Take(5);
        Assert.Equal(expectedTop, json["top5_per_position"]![2]!.AsArray().Select(pair => (int)pair![0]!));
    }

    [Fact]
    public async Task AMissingModelDirectoryIsOneErrorLine()
    {
        string missing = Path.Combine(_dir, "no-such-model");
        var line = await RunError("logits", "--model", missing, "--tokens", "1,2");
        Assert.Contains("no-such-model", line);
    }

    [Fact]
    public async Task ATokenIdOutOfRangeIsOneErrorLine()
    {
        var line = await RunError("logits", "--model", TestPaths.TinyFixture("hf-a"), "--tokens", "1,1000,2", "--dtype", "float32");
        Assert.Contains("1000", line);
    }

    [Fact]
    public async Task ATruncatedSafetensorsFileIsOneErrorLine()
    {
        string dir = TinyFixtures.CopyTo("hf-a", Path.Combine(_dir, "hf-a"));
        string weights = Path.Combine(dir, "model.safetensors");
        var bytes = File.ReadAllBytes(weights);
        File.WriteAllBytes(weights, bytes[..(bytes.Length / 2)]);

        var line = await RunError("logits", "--model", dir, "--tokens", "1,2", "--dtype", "float32");
        Assert.Contains("model.safetensors", line);
    }
}
