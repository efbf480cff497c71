using GptOss.Generation;
using GptOss.Harmony;

namespace GptOss.Generation;

/// <summary>
/// Turns sampled tokens into <see cref="HarmonyChatEvent"/>s with a lenient <see cref="StreamableParser"/>.
/// A header the parser rejects is reported as an <see cref="OutputProblem"/> and skipped up to the next
/// <c>&lt;|start|&gt;</c>; answer text is cut at the first stop sequence.
/// </summary>
internal sealed class HarmonyOutputReader(IReadOnlyList<string> stopSequences)
{
    private readonly List<Message> _messages = [];
    private readonly StopSequenceFilter _answer = new(stopSequences);
    private StreamableParser _parser = NewParser();
    private int _consumed;
    private bool _currentStreamed;
    private bool _skippingToStart;

    public IReadOnlyList<Message> Messages => _messages;

    public bool StoppedBySequence => _answer.Stopped;

    public List<HarmonyChatEvent> Accept(int token)
    {
        var events = new List<HarmonyChatEvent>();
        if (_skippingToStart)
        {
            if (token != HarmonyTokens.Start) return events;
            // A parser primed with the assistant role reads "assistant<|channel|>..." as a fresh header.
            _skippingToStart = false;
            _parser = NewParser();
            _consumed = 0;
            _currentStreamed = false;
            return events;
        }

        try
        {
            _parser.Process(token);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            events.Add(new OutputProblem($"Skipped a malformed message at token {token}: {e.Message}"));
            _skippingToStart = true;
            return events;
        }

        if (!DrainCompleted(events, truncated: false) && _parser.LastContentDelta is { Length: > 0 } delta)
        {
            _currentStreamed = true;
            AddDelta(events, _parser.CurrentChannel, _parser.CurrentRecipient, delta);
            if (_answer.Stopped)
            {
                var cut = AnswerMessage(_answer.Emitted);
                _messages.Add(cut);
                events.Add(new MessageCompleted(cut));
            }
        }
        return events;
    }

    /// <summary>Closes the open message at end of output. A tool call cut off by the token limit is not raised.</summary>
    public List<HarmonyChatEvent> Finish(bool truncated)
    {
        var events = new List<HarmonyChatEvent>();
        if (_answer.Stopped || _skippingToStart) return events;
        try
        {
            _parser.ProcessEos();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            events.Add(new OutputProblem($"The output ended inside a message header: {e.Message}"));
        }
        DrainCompleted(events, truncated);
        return events;
    }

    private bool DrainCompleted(List<HarmonyChatEvent> events, bool truncated)
    {
        var any = false;
        while (_parser.Messages.Count > _consumed)
        {
            any = true;
            var message = _parser.Messages[_consumed++];
            // Content the parser only produced when the message closed (a header the lenient parser salvaged).
            if (!_currentStreamed && message.Text.Length > 0)
            {
                AddDelta(events, message.Channel, message.Recipient, message.Text);
            }
            events.AddRange(_answer.Flush().Select(t => new AnswerDelta(t)));
            _answer.Reset();
            _currentStreamed = false;

            _messages.Add(message);
            events.Add(new MessageCompleted(message));
            if (message.IsToolCall)
            {
                if (truncated)
                {
                    events.Add(new OutputProblem($"The call to {message.Recipient} was cut off by the token limit."));
                }
                else
                {
                    events.Add(new ToolCallRequested(new HarmonyToolCall(
                        message.Recipient!, message.Channel, message.ContentType, message.Text, message)));
                }
            }
        }
        return any;
    }

    private void AddDelta(List<HarmonyChatEvent> events, string? channel, string? recipient, string text)
    {
        if (Message.IsToolRecipient(recipient)) return; // tool arguments arrive with the finished call
        switch (channel)
        {
            case "analysis":
                events.Add(new ReasoningDelta(text));
                break;
            case "commentary":
                events.Add(new PreambleDelta(text));
                break;
            default:
                events.AddRange(_answer.Push(text).Select(t => new AnswerDelta(t)));
                break;
        }
    }

    private static Message AnswerMessage(string text) =>
        Message.FromRole(Role.Assistant, text) with { Channel = "final" };

    private static StreamableParser NewParser() => new(Role.Assistant, strict: false);
}
