using GptOss.Generation;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using GptOss.Harmony;
using GptOss.SemanticKernel;

namespace GptOss.Agents;

/// <summary>
/// One conversation with an agent. Each <see cref="SendAsync"/> runs a task (or a chat turn) step by step:
/// generate → route the tool call by recipient → append the replies → generate again, until a final answer or
/// the agent's step limit. Within a task the prompt is kept as tokens and only ever extended (previous prompt +
/// the exact sampled tokens + rendered tool replies + <c>&lt;|start|&gt;assistant</c>), so the model reuses its KV
/// cache for everything but the new tool replies; analysis stays in the conversation during the tool loop and is
/// dropped once a turn has ended in a final answer.
/// </summary>
public sealed class AgentSession : IAsyncDisposable
{
    private static readonly HarmonyRenderer Renderer = new();
    private static readonly IReadOnlyList<int> AssistantTurn = Renderer.RenderConversationForCompletion([], Role.Assistant);

    private readonly RecordingTokenGenerator _generator;
    private readonly HarmonyChatPipeline _pipeline;
    private readonly AgentToolRouter _tools;
    private readonly List<Message> _messages;
    private readonly TimeProvider _time;
    private int _preamble;   // the system and developer messages the turns follow
    private bool _toolsStarted;

    internal AgentSession(AgentDefinition agent, ITokenGenerator generator, AgentToolRouter tools, TimeProvider time)
    {
        Agent = agent;
        _generator = new RecordingTokenGenerator(generator);
        _pipeline = new HarmonyChatPipeline(_generator);
        _tools = tools;
        _time = time;
        _messages = [];
        Reconfigure(agent);
    }

    public AgentDefinition Agent { get; private set; }

    /// <summary>
    /// Runs the rest of the conversation as <paramref name="agent"/> (another reasoning effort, temperature, …): its
    /// system and developer messages replace the old ones; the turns so far are kept. Tools stay as the session began.
    /// </summary>
    public void Reconfigure(AgentDefinition agent)
    {
        var preamble = AgentPrompt.Create(agent, _tools.Builtins, _tools.Functions, _time.GetUtcNow());
        _messages.RemoveRange(0, _preamble);
        _messages.InsertRange(0, preamble);
        _preamble = preamble.Count;
        Agent = agent;
    }

    /// <summary>Forgets every turn: the conversation starts again from the system and developer messages.</summary>
    public void Clear() => _messages.RemoveRange(_preamble, _messages.Count - _preamble);

    /// <summary>Takes back the last user message and all that followed it; returns that message (null when there is none).</summary>
    public string? TakeBackLastTurn()
    {
        var last = _messages.FindLastIndex(m => m.Author.Role == Role.User);
        if (last < _preamble) return null;
        var text = _messages[last].Text;
        _messages.RemoveRange(last, _messages.Count - last);
        return text;
    }

    /// <summary>The conversation so far: system, developer, then every user, assistant and tool message.</summary>
    public IReadOnlyList<Message> Messages => _messages;

    /// <summary>
    /// Runs <paramref name="userMessage"/> to its end and streams what happens; the last event is always
    /// <see cref="AgentEvent.RunCompleted"/>. The first call starts the agent's MCP servers (their tools join the
    /// developer message). Throws only on cancellation, a generator failure or an MCP server that cannot start
    /// (<see cref="Mcp.McpServerException"/>).
    /// </summary>
    public async IAsyncEnumerable<AgentEvent> SendAsync(string userMessage, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var run = Stopwatch.StartNew();
        if (!_toolsStarted)
        {
            await _tools.StartAsync(cancellationToken).ConfigureAwait(false);
            _toolsStarted = true;
            Reconfigure(Agent);
        }
        _messages.Add(Message.FromRole(Role.User, userMessage));
        yield return new AgentEvent.RunStarted(Agent.Name, _generator.Model.Name, userMessage);

        var stepClock = Stopwatch.StartNew(); // step 1 includes rendering the conversation
        var prompt = new List<int>(HarmonyChatPipeline.RenderPrompt(_messages));
        var totals = (Prompt: 0, Cached: 0, Generated: 0);
        var beforeFirstCall = true;
        for (var step = 1; step <= Agent.MaxSteps; step++)
        {
            if (step > 1) stepClock.Restart();
            var room = _generator.Model.ContextLength - prompt.Count;
            if (room <= 0)
            {
                yield return Completed(step - 1, AgentRunOutcome.Length, null,
                    $"the conversation ({prompt.Count} tokens) fills the model's context ({_generator.Model.ContextLength} tokens)");
                yield break;
            }

            HarmonyToolCall? call = null;
            string? problem = null;
            GenerationCompleted? generation = null;
            var request = new HarmonyChatRequest(_messages)
            {
                Prompt = prompt,
                Generation = Options(room),
                Constraint = AgentConstraints.ForStep(Agent, _tools.Functions, _tools.Builtins.Count > 0, beforeFirstCall),
            };
            await foreach (var e in _pipeline.RunAsync(request, cancellationToken).ConfigureAwait(false))
            {
                switch (e)
                {
                    case Generation.ReasoningDelta d: yield return new AgentEvent.ReasoningDelta(step, d.Text); break;
                    case Generation.PreambleDelta d: yield return new AgentEvent.PreambleDelta(step, d.Text); break;
                    case Generation.AnswerDelta d: yield return new AgentEvent.AnswerDelta(step, d.Text); break;
                    case Generation.OutputProblem p:
                        problem = p.Description;
                        yield return new AgentEvent.OutputProblem(step, p.Description);
                        break;
                    case ToolCallRequested r: call = r.Call; break;
                    case GenerationCompleted g: generation = g; break;
                }
            }
            var modelTime = _generator.LastModelTime;
            var stats = _generator.LastStats;
            _messages.AddRange(generation!.Messages);
            prompt.AddRange(_generator.LastTokens);
            totals = (totals.Prompt + (stats?.PromptTokens ?? 0), totals.Cached + (stats?.CachedPromptTokens ?? 0),
                totals.Generated + (stats?.GeneratedTokens ?? 0));

            var toolTime = TimeSpan.Zero;
            if (generation.FinishReason == HarmonyFinishReason.ToolCalls && call is not null)
            {
                beforeFirstCall = false;
                yield return new AgentEvent.ToolCall(step, call.Recipient, call.Channel, call.Arguments);
                foreach (var reply in await _tools.ExecuteAsync(call, cancellationToken).ConfigureAwait(false))
                {
                    toolTime = reply.Duration;
                    _messages.Add(reply.Message);
                    prompt.AddRange(Renderer.Render(reply.Message));
                    yield return new AgentEvent.ToolResult(step, call.Recipient, reply.Message.Text, reply.Failed, reply.Duration);
                }
                prompt.AddRange(AssistantTurn);
                yield return StepCompleted(step, stats, modelTime, toolTime, stepClock.Elapsed, "tool_call");
                continue;
            }

            var finish = generation.FinishReason == HarmonyFinishReason.Length ? "length" : "stop";
            yield return StepCompleted(step, stats, modelTime, toolTime, stepClock.Elapsed, finish);
            if (generation.FinishReason == HarmonyFinishReason.Length)
            {
                yield return Completed(step, AgentRunOutcome.Length, null,
                    $"step {step} reached the token limit ({request.Generation.MaxNewTokens} tokens) before the model finished");
                yield break;
            }
            var answer = generation.Messages.LastOrDefault(m => m.Channel is "final" or null && m.Recipient is null)?.Text;
            if (answer is null)
            {
                yield return Completed(step, AgentRunOutcome.InvalidOutput, null,
                    "the model stopped without a final answer" + (problem is null ? "" : $" ({problem})"));
                yield break;
            }
            var formatProblem = AgentOutputValidator.Check(Agent.Output, answer);
            yield return Completed(step, formatProblem is null ? AgentRunOutcome.Answered : AgentRunOutcome.InvalidOutput, answer, formatProblem);
            yield break;
        }
        yield return Completed(Agent.MaxSteps, AgentRunOutcome.StepLimit, null,
            $"agent '{Agent.Name}' reached its step limit ({Agent.MaxSteps} model calls) without a final answer; raise max_steps or simplify the task");

        AgentEvent.RunCompleted Completed(int step, AgentRunOutcome outcome, string? answer, string? error) =>
            new(step, outcome, answer, error, totals.Prompt, totals.Cached, totals.Generated, run.Elapsed);
    }

    private GenerationOptions Options(int room)
    {
        var model = Agent.Model;
        var defaults = new GenerationOptions();
        return new GenerationOptions
        {
            MaxNewTokens = Math.Min(model.MaxTokens ?? AgentModelDefaults.MaxTokensPerStep, room),
            Temperature = model.Temperature ?? defaults.Temperature,
            TopP = model.TopP ?? defaults.TopP,
            Seed = model.Seed,
        };
    }

    private static AgentEvent.StepCompleted StepCompleted(
        int step, GenerationStats? stats, TimeSpan modelTime, TimeSpan toolTime, TimeSpan wall, string finish)
    {
        var prompt = stats?.PromptTokens ?? 0;
        var cached = stats?.CachedPromptTokens ?? 0;
        var overhead = wall - modelTime - toolTime;
        return new AgentEvent.StepCompleted(step, prompt, cached, prompt - cached, stats?.GeneratedTokens ?? 0,
            modelTime, stats?.PrefillTime ?? TimeSpan.Zero, stats?.DecodeTime ?? TimeSpan.Zero, toolTime,
            overhead < TimeSpan.Zero ? TimeSpan.Zero : overhead, finish);
    }

    public ValueTask DisposeAsync() => _tools.DisposeAsync();
}

/// <summary>Defaults for settings an agent leaves out.</summary>
public static class AgentModelDefaults
{
    /// <summary>Tokens one step may generate when <c>model.max_tokens</c> is not set (room for reasoning and a call).</summary>
    public const int MaxTokensPerStep = 2048;
}
