namespace GptOss.Engine.Kernels;

public sealed unsafe partial class CpuKernels
{
    /// <summary>
    /// The MoE expert block for one token: output = Σ_i weights[i] · (W2[e_i] · SwiGLU(W1[e_i]·h + b1) + b2)
    /// over the selected experts e_i, in float32 (output is overwritten, H floats). Two parallel
    /// passes: all selected experts' gate_up rows (SwiGLU fused per gate/up row pair), then every
    /// output row summing over the experts' down rows, so no output is written twice.
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
        }

        float* hs = _hidden.Get(hidden);
        ActivationSplit.Split(h, hs, hidden);
        float* activations = _activations.Get((long)k * intermediate);
        Pool.For(k * intermediate, 2, new GateUpJob(Isa, w, selected, hs, activations));
        Pool.For(hidden, 4, new DownJob(Isa, w, selected, routing, k, activations, output));
    }

    /// <summary>
    /// Item p = (expert slot p / I, gate/up row pair p % I) → split SwiGLU activation. Chunks are
    /// multiples of 2 and I a multiple of 32, so items come in pairs of one expert: four rows.
    /// </summary>
    private readonly struct GateUpJob(KernelIsa isa, Mxfp4Experts w, int* selected, float* hs, float* activations) : IRangeJob
    {
        public void Run(int start, int end)
        {
            float* dots = stackalloc float[4];
            int intermediate = w.Intermediate;
            for (int p = start; p < end; p += 2)
            {
                int slot = p / intermediate, i = p % intermediate;
                int e = selected[slot];
                var b1 = w.GateUpBias(e);
                float* a = activations + (long)slot * intermediate;
                Mxfp4Dot.Dot4(isa, w.GateUp(e), 2 * i, hs, dots);
                a[ActivationSplit.IndexOf(i, intermediate)] = SwiGlu.Apply(dots[0] + b1[2 * i], dots[1] + b1[2 * i + 1]);
                a[ActivationSplit.IndexOf(i + 1, intermediate)] = SwiGlu.Apply(dots[2] + b1[2 * i + 2], dots[3] + b1[2 * i + 3]);
            }
        }
    }

    private readonly struct DownJob(KernelIsa isa, Mxfp4Experts w, int* selected, float* routing, int k, float* activations, float* output) : IRangeJob
    {
        public void Run(int start, int end)
        {
            float* dots = stackalloc float[4];
            int intermediate = w.Intermediate;
            for (int r = start; r < end; r += 4)
            {
                int n = Math.Min(4, end - r);
                for (int j = 0; j < n; j++) output[r + j] = 0f;
                for (int slot = 0; slot < k; slot++)
                {
                    var w2 = w.Down(selected[slot]);
                    var b2 = w.DownBias(selected[slot]);
                    float* a = activations + (long)slot * intermediate;
                    if (n == 4) Mxfp4Dot.Dot4(isa, w2, r, a, dots);
                    else
                        for (int j = 0; j < n; j++) dots[j] = Mxfp4Dot.Dot1(isa, w2, r + j, a);
                    for (int j = 0; j < n; j++) output[r + j] += routing[slot] * (dots[j] + b2[r + j]);
                }
            }
        }
    }
}
