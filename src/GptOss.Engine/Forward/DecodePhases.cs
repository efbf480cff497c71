using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace GptOss.Engine;

/// <summary>
/// Where a decode step's time goes, as a metric: the histogram <see cref="InstrumentName"/> of meter
/// <see cref="MeterName"/> records each phase of each layer in seconds, tagged <c>phase</c>. The CPU forward pass records
/// only while a listener is attached (<c>gptoss bench</c>, an OpenTelemetry exporter), so otherwise a phase costs one check.
/// </summary>
public static class DecodePhases
{
    public const string MeterName = "GptOss.Engine";
    public const string InstrumentName = "gptoss.engine.decode.phase.duration";

    /// <summary>The q, k and v projections.</summary>
    public const string Qkv = "qkv";
    /// <summary>RoPE, the cache append and attention over the cache.</summary>
    public const string Attention = "attention";
    /// <summary>The output projection and the residual.</summary>
    public const string Output = "o";
    /// <summary>The norms before attention and experts, the router and the top-k selection.</summary>
    public const string Router = "norms_router";
    /// <summary>The selected experts' MXFP4 rows and their residual.</summary>
    public const string Experts = "experts";
    /// <summary>The final norm and the BF16 unembedding (once per step).</summary>
    public const string Unembedding = "unembedding";

    /// <summary>The phases in the order a step runs them.</summary>
    public static IReadOnlyList<string> All { get; } = [Qkv, Attention, Output, Router, Experts, Unembedding];

    private static readonly Meter Meter = new(MeterName);
    private static readonly Histogram<double> Duration =
        Meter.CreateHistogram<double>(InstrumentName, "s", "Time of one phase of one layer of a decode step");

    /// <summary>A phase's start: the timestamp while someone listens, else 0 (nothing is recorded).</summary>
    internal static long Start() => Duration.Enabled ? Stopwatch.GetTimestamp() : 0;

    /// <summary>Records <paramref name="phase"/> as lasting from <paramref name="start"/> to now, and starts the next phase there.</summary>
    internal static void End(string phase, ref long start)
    {
        if (start == 0) return;
        long now = Stopwatch.GetTimestamp();
        Duration.Record((double)(now - start) / Stopwatch.Frequency, new KeyValuePair<string, object?>("phase", phase));
        start = now;
    }
}
