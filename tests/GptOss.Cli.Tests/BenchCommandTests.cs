using System.CommandLine;
using System.Text.Json.Nodes;
using GptOss.Cli.Commands;
using GptOss.Engine;
using GptOss.Engine.Checkpoints;
using GptOss.Engine.Kernels;
using GptOss.Testing;

namespace GptOss.Cli.Tests;

/// <summary>`gptoss bench` on the tiny fixture, invoked in-process: the JSON fields scripts read, and bad flags.</summary>
public sealed class BenchCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gptoss-bench-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static Task<(int Exit, string Out, string Err)> Run(params string[] args) =>
        CommandRun.Invoke([BenchCommand.Create()], ["bench", .. args]);

    [Fact]
    public async Task Json_reports_speeds_against_the_bound_the_config_implies()
    {
        var (exit, output, error) = await Run("--model", TestPaths.TinyFixture("hf-a"), "--prompt-tokens", "5", "--gen-tokens", "4",
            "--threads", "1", "--json");

        Assert.True(exit == 0, $"exit {exit}: {error}");
        var json = JsonNode.Parse(output)!.AsObject();
        Assert.Equal("bfloat16", (string)json["dtype"]!);
        Assert.Equal(1, (int)json["threads"]!);
        Assert.Equal(5, (int)json["prompt_tokens"]!);
        Assert.Equal(4, (int)json["gen_tokens"]!);
        foreach (var field in new[] { "load_seconds", "prefill_tokens_per_second", "time_to_first_token_seconds", "decode_tokens_per_second",
                     "read_bandwidth_bytes_per_second", "bound_tokens_per_second" })
            Assert.True((double)json[field]! > 0, $"{field} = {json[field]}");
        Assert.Equal((double)json["decode_tokens_per_second"]! / (double)json["bound_tokens_per_second"]!, (double)json["fraction_of_bound"]!, 1e-9);
        Assert.Equal((double)json["read_bandwidth_bytes_per_second"]! / (long)json["bytes_per_token"]!, (double)json["bound_tokens_per_second"]!, 1e-6);
        // The bandwidth brackets the decode: one reading right before it (where the peak RSS count can restart around
        // the probe's buffer: Linux), one right after; the bound uses their mean.
        var samples = json["read_bandwidth_samples"]!.AsArray().Select(n => (double)n!).ToArray();
        Assert.Equal(OperatingSystem.IsLinux() ? 2 : 1, samples.Length);
        Assert.All(samples, b => Assert.True(b > 0));
        Assert.Equal(samples.Average(), (double)json["read_bandwidth_bytes_per_second"]!, 1e-3);
        // The peak resident set holds at least the weights a decoded token reads (all of them are mapped and touched).
        Assert.True((long)json["peak_rss_bytes"]! >= (long)json["bytes_per_token"]!, $"peak RSS {json["peak_rss_bytes"]} below the weights read per token");
        // ... but not the probe's 1 GiB buffer, which the first reading allocates in the middle of the run.
        Assert.True((long)json["peak_rss_bytes"]! < MemoryBandwidth.DefaultBytes, $"peak RSS {json["peak_rss_bytes"]} counts the bandwidth probe's buffer");
        Assert.True(json.ContainsKey("file_huge_page_bytes"));
        Assert.Equal(1, (int)json["parallel"]!);
        Assert.Equal((double)json["decode_tokens_per_second"]!, (double)json["aggregate_decode_tokens_per_second"]!, 1e-9);
        Assert.Equal((double)json["decode_tokens_per_second"]!, (double)json["per_sequence_decode_tokens_per_second"]!, 1e-9);
        Assert.True((long)json["kv_cache_bytes_per_sequence"]! > 0);
        // One sequence's aggregate bound is the bound.
        Assert.Equal((double)json["bound_tokens_per_second"]!, (double)json["aggregate_bound_tokens_per_second"]!, 1e-6);
        Assert.Equal((double)json["fraction_of_bound"]!, (double)json["aggregate_fraction_of_bound"]!, 1e-6);
        // Where a decode step's time goes: every phase, and the read rate of each phase that reads weights.
        var phases = json["decode_phase_ms_per_step"]!.AsObject();
        Assert.Equal(DecodePhases.All.Order(), phases.Select(p => p.Key).Order());
        Assert.All(phases, p => Assert.True((double)p.Value! > 0, $"{p.Key} = {p.Value} ms"));
        var rates = json["decode_phase_bytes_per_second"]!.AsObject();
        Assert.Equal(DecodePhases.All.Where(p => p != DecodePhases.Attention).Order(), rates.Select(p => p.Key).Order());
        Assert.All(rates, p => Assert.True((double)p.Value! > 0, $"{p.Key} = {p.Value} B/s"));
    }

    [Fact]
    public async Task Parallel_sequences_decode_together_and_report_aggregate_and_per_sequence_speed()
    {
        var (exit, output, error) = await Run("--model", TestPaths.TinyFixture("hf-a"), "--prompt-tokens", "5", "--gen-tokens", "6",
            "--threads", "1", "--parallel", "3", "--json");

        Assert.True(exit == 0, $"exit {exit}: {error}");
        var json = JsonNode.Parse(output)!.AsObject();
        Assert.Equal(3, (int)json["parallel"]!);
        Assert.Equal(6, (int)json["gen_tokens"]!);
        double aggregate = (double)json["aggregate_decode_tokens_per_second"]!, perSequence = (double)json["per_sequence_decode_tokens_per_second"]!;
        Assert.True(aggregate > 0 && perSequence > 0, $"aggregate {aggregate}, per sequence {perSequence}");
        Assert.Equal(perSequence, (double)json["decode_tokens_per_second"]!, 1e-9);
        // Three sequences read the dense weights once per step: their bound is above one sequence's, below three times it.
        double bound = (double)json["bound_tokens_per_second"]!, aggregateBound = (double)json["aggregate_bound_tokens_per_second"]!;
        Assert.InRange(aggregateBound, bound * 1.01, bound * 3);
        Assert.Equal(aggregate / aggregateBound, (double)json["aggregate_fraction_of_bound"]!, 1e-9);
    }

    [Fact]
    public async Task A_json_schema_adds_the_constrained_decode_speed_measured_in_the_same_run()
    {
        RandomCheckpoint.Write(_dir, new RandomCheckpointOptions { Seed = 5, Vocab = 201_088 });
        var schema = Path.Combine(_dir, "answer.json");
        File.WriteAllText(schema, """{"type":"object","properties":{"n":{"type":"integer","minimum":0,"maximum":9}},"required":["n"]}""");

        var (exit, output, error) = await Run("--model", _dir, "--prompt-tokens", "5", "--gen-tokens", "24", "--threads", "1", "--json-schema", schema, "--json");

        Assert.True(exit == 0, $"exit {exit}: {error}");
        var json = JsonNode.Parse(output)!.AsObject();
        Assert.True((double)json["decode_tokens_per_second"]! > 0);
        Assert.True((double)json["constrained_decode_tokens_per_second"]! > 0);
        // <|channel|>final<|message|>{"n":D}<|return|> at the least; the constraint ends it within the limit.
        Assert.InRange((int)json["constrained_gen_tokens"]!, 6, 24);
        Assert.InRange((double)json["constraint_first_mask_seconds"]!, 1e-6, 10);
    }

    [Fact]
    public async Task Json_without_a_schema_has_no_constrained_fields()
    {
        var (_, output, _) = await Run("--model", TestPaths.TinyFixture("hf-a"), "--prompt-tokens", "2", "--gen-tokens", "4", "--threads", "1", "--json");

        Assert.False(JsonNode.Parse(output)!.AsObject().ContainsKey("constrained_decode_tokens_per_second"));
    }

    [Theory]
    [InlineData("{\"type\":\"object\",\n\"properties\":{\"a\": }}", ":2:20: not valid JSON")]
    [InlineData("{\"type\":\"string\",\"not\":{}}", ": JSON schema keyword 'not' at '#' is not supported")]
    [InlineData("[1]", ": a JSON Schema must be an object")]
    public async Task A_bad_schema_file_is_one_clear_error_naming_the_file_before_the_model_loads(string text, string message)
    {
        var schema = Path.Combine(_dir, "bad.json");
        File.WriteAllText(schema, text);

        var (exit, output, error) = await Run("--model", "/no/such/model", "--json-schema", schema);

        Assert.Equal(1, exit);
        Assert.Equal("", output);
        Assert.StartsWith($"error: --json-schema: {schema}{message}", error.Trim());
    }

    [Theory]
    [InlineData("--gen-tokens", "3", "--gen-tokens must be at least 4")]
    [InlineData("--prompt-tokens", "0", "--prompt-tokens must be at least 1")]
    [InlineData("--parallel", "0", "--parallel must be at least 1")]
    [InlineData("--dtype", "int4", "--dtype must be bf16 (bfloat16) or f32 (float32), not 'int4'")]
    public async Task Bad_flags_get_one_clear_error(string flag, string value, string message)
    {
        var (exit, output, error) = await Run("--model", TestPaths.TinyFixture("hf-a"), flag, value);

        Assert.Equal(1, exit);
        Assert.Equal("", output);
        Assert.StartsWith($"error: {message}", error.Trim());
    }
}
