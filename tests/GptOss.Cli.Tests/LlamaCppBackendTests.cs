using System.ClientModel;
using GptOss.Cli.Commands;
using GptOss.Generation;
using GptOss.Harmony;
using GptOss.Remote.Testing;
using GptOss.Testing;
using OpenAI;
using OpenAI.Chat;

namespace GptOss.Cli.Tests;

/// <summary>
/// `gptoss run` and `gptoss serve` on a real llama.cpp server (<c>--backend llamacpp --endpoint URL</c>) running script
/// models with the real vocabulary. Skipped, saying why, unless LLAMA_SERVER and GPTOSS_TIKTOKEN are set.
/// </summary>
public sealed class LlamaCppBackendTests : IDisposable
{
    // Every script continues a prompt that ends in <|start|>assistant; a script model cannot repeat a token.
    private static readonly int Assistant = HarmonyTokenizer.Shared.Encode("<|start|>assistant", allowSpecial: true)[^1];

    private readonly string _dir = Directory.CreateTempSubdirectory("gptoss-llamacpp-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [LlamaServerFact]
    public async Task Run_drives_the_agent_tool_loop_through_llama_server_reusing_its_cache()
    {
        // A bigram model answers every step alike: each step calls python; the run ends at the agent's step limit.
        var script = HarmonyTokenizer.Shared.Encode("<|channel|>analysis to=python code<|message|>print(6*7)<|call|>", allowSpecial: true);
        await using var server = await LlamaServer.StartAsync(Assistant, script, TestPaths.SharedDir);
        Directory.CreateDirectory(Path.Combine(_dir, "agents"));
        await File.WriteAllTextAsync(Path.Combine(_dir, "agents", "coder.yaml"), "name: coder\ninstructions: Compute.\ntools: [python]\nmax_steps: 2\n");
        await File.WriteAllTextAsync(Path.Combine(_dir, "appsettings.json"), """{ "Agents": { "Directory": "agents" } }""");

        var (exit, _, stderr) = await CommandRun.Invoke([RunCommand.Create()],
            "run", "--agent", "coder", "6 times 7?", "--config", Path.Combine(_dir, "appsettings.json"),
            "--backend", "llamacpp", "--endpoint", server.Endpoint);

        Assert.True(exit == 2, stderr);
        Assert.True(stderr.Split("← python 42").Length - 1 == 2, stderr);
        Assert.Matches(@"\[step 2: prompt \d+ \(cached [1-9]\d*, prefill \d+\)", stderr);
        Assert.Contains("error: StepLimit", stderr);
    }

    [LlamaServerFact]
    public async Task Serve_answers_an_openai_client_with_the_tool_call_llama_server_generated()
    {
        var script = HarmonyTokenizer.Shared.Encode(
            "<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{\"city\":\"Paris\"}<|call|>", allowSpecial: true);
        await using var llama = await LlamaServer.StartAsync(Assistant, script, TestPaths.SharedDir);
        await using var serve = await RunningServe.StartAsync("--backend", "llamacpp", "--endpoint", llama.Endpoint);
        var client = new ChatClient("gpt-oss", new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = new Uri(serve.Address + "/v1") });

        var completion = (await client.CompleteChatAsync([new UserChatMessage("Weather in Paris?")], new ChatCompletionOptions
        {
            Tools = { ChatTool.CreateFunctionTool("get_weather", "Current weather in a city.", BinaryData.FromString(ServerScripts.WeatherSchema)) },
        })).Value;

        Assert.Equal(ChatFinishReason.ToolCalls, completion.FinishReason);
        var call = Assert.Single(completion.ToolCalls);
        Assert.Equal("get_weather", call.FunctionName);
        Assert.Equal("{\"city\":\"Paris\"}", call.FunctionArguments.ToString());
    }
}
