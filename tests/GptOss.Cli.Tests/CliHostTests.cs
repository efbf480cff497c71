using GptOss.Cli.Commands;

namespace GptOss.Cli.Tests;

/// <summary>The one host every model-running command composes: settings file, flags over it, the backend it names.</summary>
public sealed class CliHostTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gptoss-cli-host-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Settings(string json)
    {
        var path = Path.Combine(_dir, "settings.json");
        File.WriteAllText(path, json);
        return path;
    }

    [Theory]
    [InlineData("run")]
    [InlineData("chat")]
    [InlineData("serve")]
    public async Task Every_model_command_reads_the_backend_from_the_config_file_it_is_given(string command)
    {
        var settings = Settings("""
            { "GptOss": { "Backend": { "Kind": "Mainframe" } }, "Agents": { "Directory": "none", "Definitions": { "assistant": { "Instructions": "Help." } } } }
            """);
        string[] args = command == "run" ? ["run", "--agent", "assistant", "hi", "--config", settings] : [command, "--config", settings];

        var (exit, _, err) = await CommandRun.Invoke([RunCommand.Create(), ChatCommand.Create(), ServeCommand.Create()], args);

        Assert.Equal(1, exit);
        Assert.Contains("error: GptOss:Backend:Kind must be one of Local, Vllm, Sglang, LlamaCpp, not 'Mainframe'", err);
    }

    [Fact]
    public async Task A_relative_model_directory_in_the_settings_resolves_beside_the_settings_file()
    {
        var settings = Settings("""{ "GptOss": { "ModelDirectory": "models/deep/absent" } }""");

        var (exit, _, err) = await CommandRun.Invoke([ServeCommand.Create()], "serve", "--config", settings);

        Assert.Equal(1, exit);
        Assert.Contains($"error: {Path.Combine(_dir, "models/deep/absent")}: checkpoint folder not found", err);
    }

    [Fact]
    public async Task A_local_checkpoint_does_not_go_with_a_remote_backend()
    {
        var (exit, _, err) = await CommandRun.Invoke([ServeCommand.Create()], "serve", "--model", _dir, "--backend", "vllm");

        Assert.Equal(1, exit);
        Assert.Contains("error: --model runs a checkpoint in-process; it does not go with --backend vllm", err);
    }

    [Fact]
    public async Task Without_any_model_the_error_names_the_setting_and_the_flags()
    {
        var settings = Settings("{}");

        var (exit, _, err) = await CommandRun.Invoke([ServeCommand.Create()], "serve", "--config", settings);

        Assert.Equal(1, exit);
        Assert.Contains("error: no gpt-oss model: set GptOss:ModelDirectory (or --model DIR)", err);
    }

    [Fact]
    public async Task The_parallel_flag_sets_the_engines_sequence_slots()
    {
        var model = Path.Combine(_dir, "model");
        GptOss.Engine.Checkpoints.RandomCheckpoint.Write(model, new GptOss.Engine.Checkpoints.RandomCheckpointOptions { Preset = "tiny", Seed = 3 });
        var settings = Settings("""{ "Agents": { "Directory": "none", "Definitions": { "assistant": { "Instructions": "Help." } } } }""");
        Task<(int, string, string)> Run(string parallel) =>
            CommandRun.Invoke([RunCommand.Create()], "run", "--agent", "assistant", "hi", "--config", settings, "--model", model, "--parallel", parallel);

        // So many slots that their KV caches cannot fit: the engine refuses at load, naming the count the flag gave.
        var (exit, _, err) = await Run("100000000");
        Assert.Equal(1, exit);
        Assert.Contains("error: ParallelSequences 100000000 × context", err);

        (exit, _, err) = await Run("0");
        Assert.Equal(1, exit);
        Assert.Contains("error: --parallel must be at least 1 (got 0)", err);
    }
}
