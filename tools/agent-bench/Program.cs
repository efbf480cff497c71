using GptOss.Generation;
using System.Globalization;
using GptOss.Agents;
using GptOss.Agents.Plugins;
using GptOss.Tools;

// agent-bench: the agent runner's per-step overhead (wall time of a step minus model and tool time: rendering the
// tool reply, parsing, routing, events) and its prompt-prefix reuse, on a scripted run where every step calls a
// kernel function (Clock.now) and the last answers. The model is a ScriptedTokenGenerator, so "model" time is
// replay time and everything else is the runner's own cost.
// Usage: dotnet run -c Release --project tools/agent-bench [-- --steps 50 --runs 5]

int steps = Option("--steps", 50);
int runs = Option("--runs", 5);
const string Call =
    "<|channel|>analysis<|message|>Check the clock again to measure the runner.<|end|>" +
    "<|start|>assistant<|channel|>commentary to=functions.Clock_now <|constrain|>json<|message|>{}<|call|>";
const string Final = "<|channel|>analysis<|message|>Done.<|end|><|start|>assistant<|channel|>final<|message|>Finished.<|return|>";

var agent = new AgentDefinition
{
    Name = "bench",
    Instructions = "Check the clock.",
    Tools = [new FunctionToolReference("Clock", null, SourceLocation.Unknown)],
    MaxSteps = steps,
};
using var tools = new ToolExecutorFactory(new ToolsOptions());
Console.WriteLine($"{steps} steps per run ({steps - 1} kernel-function calls, then a final answer), {runs} runs, {Environment.ProcessorCount} CPUs");

var overheads = new List<double>();
for (var run = 1; run <= runs; run++)
{
    var generator = ScriptedTokenGenerator.FromHarmony([.. Enumerable.Repeat(Call, steps - 1), Final]);
    var runner = new AgentRunner(generator, AgentPluginCatalog.Default, tools);
    var completed = new List<AgentEvent.StepCompleted>();
    AgentEvent.RunCompleted? end = null;
    await foreach (var e in runner.RunAsync(agent, "What time is it?"))
    {
        if (e is AgentEvent.StepCompleted s) completed.Add(s);
        if (e is AgentEvent.RunCompleted c) end = c;
    }
    var warm = completed.Skip(1).Select(s => s.OverheadTime.TotalMilliseconds).Order().ToList();
    if (run > 1) overheads.AddRange(warm); // run 1 pays JIT and first-use costs
    var last = completed[^1];
    Console.WriteLine(
        $"run {run}: {end!.Outcome}; step 1 overhead {completed[0].OverheadTime.TotalMilliseconds:F2} ms; " +
        $"steps 2..{steps} overhead median {Percentile(warm, 0.5):F3} ms, p90 {Percentile(warm, 0.9):F3} ms, max {warm[^1]:F3} ms; " +
        $"model median {Median(completed.Skip(1).Select(s => s.ModelTime.TotalMilliseconds)):F3} ms, tool median {Median(completed.Skip(1).Select(s => s.ToolTime.TotalMilliseconds)):F3} ms; " +
        $"last step prompt {last.PromptTokens} tokens, cached {last.CachedPromptTokens}, prefill {last.PrefillTokens}; " +
        $"run total prompt {end.PromptTokens}, cached {end.CachedPromptTokens} ({100.0 * end.CachedPromptTokens / end.PromptTokens:F1}%)");
}
if (overheads.Count > 0)
{
    overheads.Sort();
    Console.WriteLine($"warm runs (2..{runs}), steps 2..{steps}: overhead per step median {Percentile(overheads, 0.5):F3} ms, p90 {Percentile(overheads, 0.9):F3} ms, p99 {Percentile(overheads, 0.99):F3} ms");
}

int Option(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
}

static double Percentile(List<double> sorted, double p) => sorted[Math.Min(sorted.Count - 1, (int)(p * sorted.Count))];

static double Median(IEnumerable<double> values) => Percentile(values.Order().ToList(), 0.5);
