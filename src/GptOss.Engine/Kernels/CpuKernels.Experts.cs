namespace GptOss.Engine.Kernels;

internal sealed unsafe partial class CpuKernels
{
    /// <summary>
    /// The MoE expert block for one token: output = Σ_i weights[i] · (W2[e_i] · SwiGLU(W1[e_i]·h + b1) + b2)
    /// over the selected experts e_i, in float32 (output is overwritten, H floats). See the batched overload.
    /// </summary>
    public void Experts(in Mxfp4Experts w, float* h, ReadOnlySpan<int> experts, ReadOnlySpan<float> weights, float* output) =>
        Experts(w, h, 1, experts, weights, output);

    /// <summary>
    /// The MoE expert block for <paramref name="tokens"/> tokens at once (a batch of decoded sequences): token t's row of
    /// <paramref name="h"/> [tokens, H] through its experts <paramref name="experts"/>[t·k..t·k+k) with their weights,
    /// into its row of <paramref name="output"/> [tokens, H] (overwritten). Two parallel passes over the rows of the union
    /// of the selected experts in storage order (one sequential stream per thread), each row read once and applied to
    /// every token that selected its expert: all gate_up rows (SwiGLU fused per gate/up row pair), then all down rows
    /// into one partial output per (token, expert slot); each token's partials are summed in its slot order. A token's
    /// row gets the bits it gets alone (same kernels per row and vector, its own integer activations, same sum order).
    /// </summary>
    public void Experts(in Mxfp4Experts w, float* h, int tokens, ReadOnlySpan<int> experts, ReadOnlySpan<float> weights, float* output)
    {
        if (tokens <= 0) throw new ArgumentOutOfRangeException(nameof(tokens), tokens, "token count must be positive");
        if (experts.Length == 0 || experts.Length % tokens != 0 || experts.Length != weights.Length)
            throw new ArgumentException($"need the same number of selected experts for each of {tokens} tokens and one routing weight per selected expert (got {experts.Length} experts, {weights.Length} weights)");
        Require(h, nameof(h));
        Require(output, nameof(output));
        int k = experts.Length / tokens, vectors = experts.Length, hidden = w.Hidden, intermediate = w.Intermediate;
        var union = Union(w, experts, weights);

        float* hs = _hidden.Get((long)tokens * hidden);
        for (int t = 0; t < tokens; t++) ActivationSplit.Split(h + (long)t * hidden, hs + (long)t * hidden, hidden);
        // Integers per token, as a token alone makes them: one vector with inf/NaN sends only its own token to the float path.
        var integers = IntegerScratch(hidden, tokens);
        var hq = _tokenIntegers.Get(tokens);
        for (int t = 0; t < tokens; t++) hq[t] = QuantizeGroup(integers, hs, hidden, t, 1);
        float* activations = _activations.Get((long)vectors * intermediate);
        Pool.For(union.Count * intermediate, 1, new GateUpJob(Isa, w, union, k, hs, hq, activations));

        integers = IntegerScratch(intermediate, vectors);   // hq is dead: the gate_up pass is done
        var aq = _tokenIntegers.Get(tokens);
        for (int t = 0; t < tokens; t++) aq[t] = QuantizeGroup(integers, activations, intermediate, t * k, k);
        float* partials = _partials.Get((long)vectors * hidden);
        Pool.For(union.Count * hidden, 4, new DownJob(Isa, w, union, k, activations, aq, partials));
        for (int t = 0; t < tokens; t++)
        {
            float* y = output + (long)t * hidden, first = partials + (long)t * k * hidden;
            for (int r = 0; r < hidden; r++) y[r] = first[r];
            for (int slot = 1; slot < k; slot++)
            {
                float* partial = first + (long)slot * hidden;
                for (int r = 0; r < hidden; r++) y[r] += partial[r];
            }
        }
    }

    /// <summary>
    /// The distinct experts of a batch's selections in first-use order, each with the selections (vector v = token·k +
    /// slot) that chose it; learns each expert's scale bounds before the parallel passes.
    /// </summary>
    private ExpertUnion Union(in Mxfp4Experts w, ReadOnlySpan<int> experts, ReadOnlySpan<float> weights)
    {
        int vectors = experts.Length;
        int* distinct = _selected.Get(3L * vectors + 1);
        int* starts = distinct + vectors, users = starts + vectors + 1;
        float* routing = _weights.Get(vectors);
        int count = 0;
        for (int v = 0; v < vectors; v++)
        {
            if ((uint)experts[v] >= (uint)w.Count)
                throw new ArgumentOutOfRangeException(nameof(experts), experts[v], $"expert index outside [0, {w.Count})");
            routing[v] = weights[v];
            if (new ReadOnlySpan<int>(distinct, count).Contains(experts[v])) continue;
            distinct[count++] = experts[v];
            w.LearnScaleBounds(experts[v]);
        }
        starts[0] = 0;
        for (int u = 0; u < count; u++)
        {
            starts[u + 1] = starts[u];
            for (int v = 0; v < vectors; v++)
                if (experts[v] == distinct[u]) users[starts[u + 1]++] = v;
        }
        return new ExpertUnion(distinct, count, starts, users, routing);
    }

    /// <summary>Rows per kernel call in the expert passes (results on the stack).</summary>
    private const int RunRows = 64;

    /// <summary>
    /// Item p = (union expert p / I, gate/up row pair p % I: rows 2i, 2i+1) → the split SwiGLU activation of every
    /// selection of that expert.
    /// </summary>
    private readonly struct GateUpJob(KernelIsa isa, Mxfp4Experts w, ExpertUnion union, int k, float* hs, Int16Blocks* hq, float* activations) : IRangeJob
    {
        public void Run(int start, int end)
        {
            int intermediate = w.Intermediate, hidden = w.Hidden;
            float* dots = stackalloc float[RunRows];
            for (int p = start; p < end;)
            {
                // The items of one expert: its matrix and bias looked up once.
                int u = p / intermediate, stop = Math.Min(end, (u + 1) * intermediate);
                var w1 = w.GateUp(union.Experts[u]);
                var b1 = w.GateUpBias(union.Experts[u]);
                for (int i = p - u * intermediate; p < stop;)
                {
                    int pairs = Math.Min(RunRows / 2, stop - p);
                    for (int j = union.Starts[u]; j < union.Starts[u + 1]; j++)
                    {
                        int v = union.Users[j], t = v / k;
                        Mxfp4Dot.DotRows(isa, w1, 2 * i, 2 * pairs, hs + (long)t * hidden, hq[t], dots);
                        float* a = activations + (long)v * intermediate;
                        for (int n = 0; n < pairs; n++)
                            a[ActivationSplit.IndexOf(i + n, intermediate)] = SwiGlu.Apply(dots[2 * n] + b1[2 * (i + n)], dots[2 * n + 1] + b1[2 * (i + n) + 1]);
                    }
                    p += pairs;
                    i += pairs;
                }
            }
        }
    }

    /// <summary>Item p = (union expert p / H, output row p % H) → that row of every selection's weighted partial output.</summary>
    private readonly struct DownJob(KernelIsa isa, Mxfp4Experts w, ExpertUnion union, int k, float* activations, Int16Blocks* aq,
        float* partials) : IRangeJob
    {
        public void Run(int start, int end)
        {
            int hidden = w.Hidden, intermediate = w.Intermediate;
            for (int p = start; p < end;)
            {
                int u = p / hidden, stop = Math.Min(end, (u + 1) * hidden);
                var w2 = w.Down(union.Experts[u]);
                var b2 = w.DownBias(union.Experts[u]);
                for (int r = p - u * hidden; p < stop;)
                {
                    int rows = Math.Min(RunRows, stop - p);
                    for (int j = union.Starts[u]; j < union.Starts[u + 1]; j++)
                    {
                        int v = union.Users[j];
                        float* partial = partials + (long)v * hidden;
                        Mxfp4Dot.DotRows(isa, w2, r, rows, activations + (long)v * intermediate, aq[v / k].Slot(v % k, intermediate), partial + r);
                        float routing = union.Routing[v];
                        for (int n = r; n < r + rows; n++) partial[n] = routing * (partial[n] + b2[n]);
                    }
                    p += rows;
                    r += rows;
                }
            }
        }
    }
}

/// <summary>
/// A batch's distinct experts: <see cref="Experts"/>[u] (u &lt; <see cref="Count"/>) was chosen by the selections
/// <see cref="Users"/>[<see cref="Starts"/>[u]..<see cref="Starts"/>[u+1]) (v = token·k + slot), whose routing weights
/// are <see cref="Routing"/>[v].
/// </summary>
internal readonly unsafe struct ExpertUnion(int* experts, int count, int* starts, int* users, float* routing)
{
    public readonly int* Experts = experts, Starts = starts, Users = users;
    public readonly int Count = count;
    public readonly float* Routing = routing;
}
