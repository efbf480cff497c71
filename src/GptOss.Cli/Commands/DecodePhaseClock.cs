using System.Diagnostics.Metrics;
using GptOss.Engine;

namespace GptOss.Cli.Commands;

/// <summary>
/// Listens to the engine's <see cref="DecodePhases"/> metric and sums each phase's seconds while <see cref="Running"/>:
/// the bench turns it on for the timed decode only. Steps are counted by their unembedding (one per step).
/// </summary>
internal sealed class DecodePhaseClock : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly Dictionary<string, double> _seconds = DecodePhases.All.ToDictionary(p => p, _ => 0.0);
    private readonly Lock _lock = new();
    private int _steps;
    private volatile bool _running;

    public DecodePhaseClock()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == DecodePhases.MeterName && instrument.Name == DecodePhases.InstrumentName) listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<double>((_, seconds, tags, _) =>
        {
            if (!_running) return;
            foreach (var tag in tags)
                if (tag is { Key: "phase", Value: string phase })
                    lock (_lock)
                    {
                        _seconds[phase] = _seconds.GetValueOrDefault(phase) + seconds;
                        if (phase == DecodePhases.Unembedding) _steps++;
                    }
        });
        _listener.Start();
    }

    /// <summary>Whether measurements count now.</summary>
    public bool Running
    {
        get => _running;
        set => _running = value;
    }

    /// <summary>Milliseconds per decode step by phase (empty when no step was timed: a backend that records no phases).</summary>
    public IReadOnlyDictionary<string, double> MillisecondsPerStep()
    {
        lock (_lock) return _steps == 0 ? new Dictionary<string, double>() : _seconds.ToDictionary(p => p.Key, p => 1000 * p.Value / _steps);
    }

    public void Dispose() => _listener.Dispose();
}
