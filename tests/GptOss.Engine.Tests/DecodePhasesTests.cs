using System.Diagnostics.Metrics;
using GptOss.Engine.Checkpoints;
using GptOss.Engine.Forward;
using GptOss.Engine.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace GptOss.Engine.Tests;

/// <summary>
/// The CPU pass reports where a decode step's time goes through the <see cref="DecodePhases"/> metric: every phase of
/// every layer once per step (the norms twice: before attention and before the router), the unembedding once.
/// </summary>
public sealed class DecodePhasesTests : IDisposable
{
    private const int Context = 32, Steps = 3;
    private readonly TempDirectory _dir = new();

    public DecodePhasesTests() => RandomCheckpoint.Write(_dir.Path, new RandomCheckpointOptions { Seed = 5 });

    [Fact]
    public void A_listener_gets_each_phase_of_each_layer_once_per_step()
    {
        using var checkpoint = Checkpoint.Open(_dir.Path);
        using var inference = torch.inference_mode();
        var weights = ModelWeights.Load(checkpoint, ScalarType.BFloat16, CPU);
        using var pass = new CpuForwardPass(weights, new RotaryEmbedding(checkpoint.Config, Context, CPU), threads: 2);
        var cache = weights.NewCache(Context, 0);
        using (torch.NewDisposeScope()) pass.Prefill([1, 2, 3], 0, cache, allPositions: false);

        // Other test classes decode in parallel in this process: count only this thread's steps.
        int thread = Environment.CurrentManagedThreadId;
        var counts = new Dictionary<string, int>();
        double negative = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == DecodePhases.MeterName && instrument.Name == DecodePhases.InstrumentName) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<double>((_, seconds, tags, _) =>
        {
            if (Environment.CurrentManagedThreadId != thread) return;
            var phase = (string)tags[0].Value!;
            counts[phase] = counts.GetValueOrDefault(phase) + 1;
            if (seconds < 0) negative++;
        });
        listener.Start();

        var logits = new float[checkpoint.Config.VocabSize];
        for (int step = 0; step < Steps; step++) pass.DecodeOne(7 + step, 3 + step, cache, logits);

        int layers = checkpoint.Config.NumHiddenLayers;
        Assert.Equal(DecodePhases.All.Order(), counts.Keys.Order());
        Assert.Equal(Steps * layers, counts[DecodePhases.Qkv]);
        Assert.Equal(Steps * layers, counts[DecodePhases.Attention]);
        Assert.Equal(Steps * layers, counts[DecodePhases.Output]);
        Assert.Equal(Steps * layers * 2, counts[DecodePhases.Router]);
        Assert.Equal(Steps * layers, counts[DecodePhases.Experts]);
        Assert.Equal(Steps, counts[DecodePhases.Unembedding]);
        Assert.Equal(0, negative);
    }

    public void Dispose() => _dir.Dispose();
}
