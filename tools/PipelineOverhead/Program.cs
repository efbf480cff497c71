// Per-step overhead of the front door, with the model replaced by a replay that costs ~nothing:
// rendering the conversation, parsing the completion, SK's auto-invocation loop and the message conversions.
using GptOss.Generation;
using System.ComponentModel;
using System.Diagnostics;
using GptOss.Harmony;
using GptOss.SemanticKernel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel;

const int Iterations = 200;
var call = Encode("<|channel|>analysis<|message|>The user wants the weather in Paris. I will call the weather function and then answer.<|end|>" +
    "<|start|>assistant<|channel|>commentary to=functions.Weather_get_weather <|constrain|>json<|message|>{\"city\":\"Paris\"}<|call|>");
var answer = Encode("<|channel|>analysis<|message|>The tool returned 18 degrees and sun. Answer in one sentence.<|end|>" +
    "<|start|>assistant<|channel|>final<|message|>It is 18°C and sunny in Paris right now.<|return|>");
var generator = new ScriptedTokenGenerator((_, i) => i % 2 == 0 ? call : answer);

var builder = Kernel.CreateBuilder();
builder.Services.AddSingleton<ITokenGenerator>(generator);
builder.AddGptOssChatCompletion(configure: o => o.IncludeCurrentDate = false);
builder.Plugins.AddFromType<Weather>("Weather");
var kernel = builder.Build();
var settings = new KernelArguments(new PromptExecutionSettings { FunctionChoiceBehavior = FunctionChoiceBehavior.Auto() });

for (var i = 0; i < 20; i++) await kernel.InvokePromptAsync("What is the weather in Paris?", settings); // warm-up

var sk = Stopwatch.StartNew();
for (var i = 0; i < Iterations; i++) await kernel.InvokePromptAsync("What is the weather in Paris?", settings);
sk.Stop();

var pipeline = new HarmonyChatPipeline(generator);
var conversation = new List<Message>
{
    Message.FromRole(Role.System, new SystemContent()),
    Message.FromRole(Role.Developer, new DeveloperContent { Instructions = "Answer briefly.", Tools = new Dictionary<string, ToolNamespaceConfig> { ["functions"] = KernelFunctionTools.ToNamespace(kernel) } }),
    Message.FromRole(Role.User, "What is the weather in Paris?"),
};
var raw = Stopwatch.StartNew();
var promptTokens = 0;
for (var i = 0; i < Iterations * 2; i++)
{
    await foreach (var e in pipeline.RunAsync(new HarmonyChatRequest(conversation)))
    {
        if (e is GenerationCompleted done) promptTokens = done.Usage.PromptTokens;
    }
}
raw.Stop();

var render = Stopwatch.StartNew();
for (var i = 0; i < Iterations * 2; i++) HarmonyChatPipeline.RenderPrompt(conversation);
render.Stop();

Console.WriteLine($"SK InvokePromptAsync, auto function calling (2 generation steps + 1 kernel function): {sk.Elapsed.TotalMilliseconds / Iterations:F3} ms per run, {sk.Elapsed.TotalMilliseconds / Iterations / 2:F3} ms per step");
Console.WriteLine($"HarmonyChatPipeline step (render {promptTokens}-token prompt, parse {call.Count}-token completion): {raw.Elapsed.TotalMilliseconds / (Iterations * 2):F3} ms per step");

Console.WriteLine($"  of which rendering the prompt: {render.Elapsed.TotalMilliseconds / (Iterations * 2):F3} ms");

static IReadOnlyList<int> Encode(string text) => HarmonyTokenizer.Shared.Encode(text, allowSpecial: true);

internal sealed class Weather
{
    [KernelFunction("get_weather"), Description("Current weather in a city.")]
    public string GetWeather([Description("City name")] string city) => $"{{\"city\":\"{city}\",\"temperature\":18,\"sky\":\"sunny\"}}";
}
