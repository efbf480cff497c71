namespace GptOss.Generation;

/// <summary>
/// Cuts streamed text at the first stop sequence. Holds back just enough trailing text to recognise a stop
/// sequence that spans deltas, so nothing after (or part of) a stop sequence is ever emitted.
/// </summary>
internal sealed class StopSequenceFilter(IReadOnlyList<string> stopSequences)
{
    private readonly string[] _stops = stopSequences.Where(s => s.Length > 0).ToArray();
    private readonly System.Text.StringBuilder _emitted = new();
    private string _held = "";

    public bool Stopped { get; private set; }

    /// <summary>Everything emitted since the last <see cref="Reset"/>.</summary>
    public string Emitted => _emitted.ToString();

    public IEnumerable<string> Push(string text)
    {
        if (Stopped) return [];
        if (_stops.Length == 0) return Emit(text);

        var pending = _held + text;
        var cut = _stops.Select(s => pending.IndexOf(s, StringComparison.Ordinal)).Where(i => i >= 0).DefaultIfEmpty(-1).Min();
        if (cut >= 0)
        {
            Stopped = true;
            _held = "";
            return Emit(pending[..cut]);
        }
        var keep = Math.Min(pending.Length, _stops.Max(s => s.Length) - 1);
        _held = pending[^keep..];
        return Emit(pending[..^keep]);
    }

    public IEnumerable<string> Flush()
    {
        var rest = _held;
        _held = "";
        return Emit(rest);
    }

    public void Reset() => _emitted.Clear();

    private IEnumerable<string> Emit(string text)
    {
        if (text.Length == 0) return [];
        _emitted.Append(text);
        return [text];
    }
}
