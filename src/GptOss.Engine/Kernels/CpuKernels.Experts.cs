namespace GptOss.Engine.Kernels;

internal sealed unsafe partial class CpuKernels
{
    /// <summary>
    /// The MoE expert block for one token: output = Σ_i weights[i] · (W2[e_i] · SwiGLU(W1[e_i]·h + b1) + b2)
    /// over the selected experts e_i, in float32 (output is overwritten, H floats). Two parallel
    /// passes over rows in storage order (one sequential stream per thread): all selected experts' gate_up rows
    /// (SwiGLU fused per gate/up row pair), then all their down rows into one partial output per expert; the
    /// partials are summed in expert order.
    /// </summary>
    public void Experts(in Mxfp4Experts w, float* h, ReadOnlySpan<int> experts, ReadOnlySpan<float> weights, float* output)
    {
        if (experts.Length == 0 || experts.Length != weights.Length)
            throw new ArgumentException($"need one routing weight per selected expert (got {experts.Length} experts, {weights.Length} weights)");
        Require(h, nameof(h));
        Require(output, nameof(output));
        int k = experts.Length, hidden = w.Hidden, intermediate = w.Intermediate;
        int* selected = _selected.Get(k);
        float* routing = _weights.Get(k);
        for (int i = 0; i < k; i++)
        {
            if ((uint)experts[i] >= (uint)w.Count)
                throw new ArgumentOutOfRangeException(nameof(experts), experts[i], $"expert index outside [0, {w.Count})");
            selected[i] = experts[i];
            routing[i] = weights[i];
            w.LearnScaleBounds(experts[i]);
        }

        float* hs = _hidden.Get(hidden);
        ActivationSplit.Split(h, hs, hidden);
        var hq = Integers(hs, hidden, 1);
        float* activations = _activations.Get((long)k * intermediate);
        Pool.For(k * intermediate, 1, new GateUpJob(Isa, w, selected, hs, hq, activations));
        var aq = Integers(activations, intermediate, k);   // hq is dead: the gate_up pass is done
        float* partials = _partials.Get((long)k * hidden);
        Pool.For(k * hidden, 4, new DownJob(Isa, w, selected, routing, activations, aq, partials));
        for (int r = 0; r < hidden; r++) output[r] = partials[r];
        for (int slot = 1; slot < k; slot++)
        {
            float* partial = partials + (long)slot * hidden;
            for (int r = 0; r < hidden; r++) output[r] += partial[r];
        }
    }

    /// <summary>Rows per kernel call in the expert passes (results on the stack).</summary>
    private const int RunRows = 64;

    /// <summary>Item p = (expert slot p / I, gate/up row pair p % I: rows 2i, 2i+1) → split SwiGLU activation.</summary>
    private readonly struct GateUpJob(KernelIsa isa, Mxfp4Experts w, int* selected, float* hs, Int16Blocks hq, float* activations) : IRangeJob
    {
        public void Run(int start, int end)
        {
            int intermediate = w.Intermediate;
            float* dots = stackalloc float[RunRows];
            for (int p = start; p < end;)
            {
                // The items of one expert: its matrix and bias looked up once.
                int slot = p / intermediate, stop = Math.Min(end, (slot + 1) * intermediate);
                var w1 = w.GateUp(selected[slot]);
                var b1 = w.GateUpBias(selected[slot]);
                float* a = activations + (long)slot * intermediate;
                for (int i = p - slot * intermediate; p < stop;)
                {
                    int pairs = Math.Min(RunRows / 2, stop - p);
                    Mxfp4Dot.DotRows(isa, w1, 2 * i, 2 * pairs, hs, hq, dots);
                    for (int k = 0; k < pairs; k++, p++, i++)
                        a[ActivationSplit.IndexOf(i, intermediate)] = SwiGlu.Apply(dots[2 * k] + b1[2 * i], dots[2 * k + 1] + b1[2 * i + 1]);
                }
            }
        }
    }

    /// <summary>Item p = (expert slot p / H, output row p % H) → that expert's weighted output row.</summary>
    private readonly struct DownJob(KernelIsa isa, Mxfp4Experts w, int* selected, float* routing, float* activations, Int16Blocks aq,
        float* partials) : IRangeJob
    {
        public void Run(int start, int end)
        {
            int hidden = w.Hidden, intermediate = w.Intermediate;
            for (int p = start; p < end;)
            {
                int slot = p / hidden, stop = Math.Min(end, (slot + 1) * hidden);
                var w2 = w.Down(selected[slot]);
                var b2 = w.DownBias(selected[slot]);
                float* a = activations + (long)slot * intermediate;
                var q = aq.Slot(slot, intermediate);
                for (int r = p - slot * hidden; p < stop;)
                {
                    int rows = Math.Min(RunRows, stop - p);
                    Mxfp4Dot.DotRows(isa, w2, r, rows, a, q, partials + p);
                    for (int k = 0; k < rows; k++, p++, r++) partials[p] = routing[slot] * (partials[p] + b2[r]);
                }
            }
        }
    }
}
