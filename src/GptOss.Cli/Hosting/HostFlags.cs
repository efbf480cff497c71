using System.CommandLine;
using GptOss.Generation;

namespace GptOss.Cli.Hosting;

/// <summary>The flags of the commands that load settings and a model (run, chat, serve; agents takes the first two).</summary>
internal static class HostFlags
{
    public static readonly Option<string?> Config = new("--config")
    {
        Description = "Settings file; default: ./appsettings.json, else the one beside the binary",
    };

    public static readonly Option<string?> Agents = new("--agents")
    {
        Description = "Folder of agent files (*.yaml); default: the settings' Agents:Directory, else ./agents",
    };

    public static readonly Option<string?> Model = new("--model")
    {
        Description = "Checkpoint folder of a gpt-oss model to run in-process, or a pulled org/name[@rev] (default: GptOss:ModelDirectory)",
    };

    public static readonly Option<string?> Script = new("--script")
    {
        Description = "Replay scripted harmony completions (separated by '---' lines, or a JSON array of strings) instead of a model",
    };

    public static readonly Option<string?> Backend = new("--backend")
    {
        Description = "Who runs the model: local (in-process, default), vllm, sglang or llamacpp (default: GptOss:Backend:Kind)",
    };

    public static readonly Option<string?> Endpoint = new("--endpoint")
    {
        Description = "A remote engine's base URL, e.g. http://gpu-box:8000 (default: GptOss:Backend:Endpoint)",
    };

    public static readonly Option<string?> BackendModel = new("--backend-model")
    {
        Description = "The model name the remote engine serves, where it needs one (default: GptOss:Backend:Model)",
    };

    public static readonly Option<int?> Parallel = new("--parallel")
    {
        Description = "Conversations the in-process engine decodes at once, each with its own KV cache (default: GptOss:ParallelSequences, 4)",
    };

    static HostFlags() => Backend.AcceptOnlyFromAmong([.. BackendKinds.All.Select(k => k.ToLowerInvariant())]);

    /// <summary>--config and --agents.</summary>
    public static void AddSettings(Command command)
    {
        command.Options.Add(Config);
        command.Options.Add(Agents);
    }

    /// <summary>The settings flags plus the model's: --model, --script, --backend, --endpoint, --backend-model, --parallel.</summary>
    public static void AddModel(Command command)
    {
        AddSettings(command);
        foreach (var option in new Option[] { Model, Script, Backend, Endpoint, BackendModel, Parallel }) command.Options.Add(option);
    }
}
