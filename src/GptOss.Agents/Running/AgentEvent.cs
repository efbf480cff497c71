using GptOss.Generation;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace GptOss.Agents;

/// <summary>
/// Something observable that happened during an agent run. <see cref="Step"/> is the 1-based model call the
/// event belongs to (0 for the run's start). Serialized as one JSON object per line in the transcript, with a
/// <c>type</c> discriminator and snake_case fields; durations are milliseconds (<c>*_ms</c>).
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(RunStarted), "run_started")]
[JsonDerivedType(typeof(ReasoningDelta), "reasoning_delta")]
[JsonDerivedType(typeof(PreambleDelta), "preamble_delta")]
[JsonDerivedType(typeof(AnswerDelta), "answer_delta")]
[JsonDerivedType(typeof(ToolCall), "tool_call")]
[JsonDerivedType(typeof(ToolResult), "tool_result")]
[JsonDerivedType(typeof(OutputProblem), "output_problem")]
[JsonDerivedType(typeof(StepCompleted), "step_completed")]
[JsonDerivedType(typeof(RunCompleted), "run_completed")]
public abstract record AgentEvent(int Step)
{
    /// <summary>A task (or chat turn) starts: which agent, which model, what was asked.</summary>
    public sealed record RunStarted(string Agent, string Model, string Task) : AgentEvent(0);

    /// <summary>Chain-of-thought text (channel <c>analysis</c>).</summary>
    public sealed record ReasoningDelta(int Step, string Text) : AgentEvent(Step);

    /// <summary>Text for the user written before tool calls (channel <c>commentary</c>, no recipient).</summary>
    public sealed record PreambleDelta(int Step, string Text) : AgentEvent(Step);

    /// <summary>Final answer text.</summary>
    public sealed record AnswerDelta(int Step, string Text) : AgentEvent(Step);

    /// <summary>The model called a tool (<c>functions.X</c>, <c>browser.search</c>, <c>python</c>, ...).</summary>
    public sealed record ToolCall(int Step, string Recipient, string? Channel, string Arguments) : AgentEvent(Step);

    /// <summary>
    /// A tool's reply as the model will read it. <see cref="Failed"/>: true when the call did not succeed (unknown
    /// function, bad arguments, an exception), null when the tool does not say (built-in tools answer in prose).
    /// </summary>
    public sealed record ToolResult(
        int Step,
        string Recipient,
        string Content,
        bool? Failed,
        [property: JsonPropertyName("duration_ms"), JsonConverter(typeof(MillisecondsConverter))] TimeSpan Duration)
        : AgentEvent(Step);

    /// <summary>The model's output broke the harmony format; the runner skipped the broken part.</summary>
    public sealed record OutputProblem(int Step, string Description) : AgentEvent(Step);

    /// <summary>
    /// One model call and the tool call it led to. <see cref="PrefillTokens"/> = prompt − cached: the tokens the
    /// model actually computed before sampling. Overhead = wall time of the step − model − tools (rendering,
    /// parsing, routing, events).
    /// </summary>
    public sealed record StepCompleted(
        int Step,
        int PromptTokens,
        int CachedPromptTokens,
        int PrefillTokens,
        int GeneratedTokens,
        [property: JsonPropertyName("model_ms"), JsonConverter(typeof(MillisecondsConverter))] TimeSpan ModelTime,
        [property: JsonPropertyName("prefill_ms"), JsonConverter(typeof(MillisecondsConverter))] TimeSpan PrefillTime,
        [property: JsonPropertyName("decode_ms"), JsonConverter(typeof(MillisecondsConverter))] TimeSpan DecodeTime,
        [property: JsonPropertyName("tool_ms"), JsonConverter(typeof(MillisecondsConverter))] TimeSpan ToolTime,
        [property: JsonPropertyName("overhead_ms"), JsonConverter(typeof(MillisecondsConverter))] TimeSpan OverheadTime,
        string FinishReason)
        : AgentEvent(Step);

    /// <summary>The run ended: how, with which answer, and totals. <see cref="Error"/> explains any outcome but Answered.</summary>
    public sealed record RunCompleted(
        int Step,
        AgentRunOutcome Outcome,
        string? Answer,
        string? Error,
        int PromptTokens,
        int CachedPromptTokens,
        int GeneratedTokens,
        [property: JsonPropertyName("duration_ms"), JsonConverter(typeof(MillisecondsConverter))] TimeSpan Duration)
        : AgentEvent(Step);
}

/// <summary>How a run ended.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<AgentRunOutcome>))]
public enum AgentRunOutcome
{
    /// <summary>The model gave a final answer (in the requested output format).</summary>
    Answered,
    /// <summary>The step limit (<c>max_steps</c>) was reached without a final answer.</summary>
    StepLimit,
    /// <summary>A step hit the token limit (<c>max_tokens</c>) or the context length before finishing.</summary>
    Length,
    /// <summary>The final answer is not in the requested output format (JSON, schema).</summary>
    InvalidOutput,
}

/// <summary>Writes a <see cref="TimeSpan"/> as milliseconds (a JSON number, 3 decimals).</summary>
public sealed class MillisecondsConverter : JsonConverter<TimeSpan>
{
    public override TimeSpan Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        TimeSpan.FromMilliseconds(reader.GetDouble());

    public override void Write(Utf8JsonWriter writer, TimeSpan value, JsonSerializerOptions options) =>
        writer.WriteNumberValue(Math.Round(value.TotalMilliseconds, 3));
}
