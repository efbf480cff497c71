namespace GptOss.Engine.Kernels;

internal sealed unsafe partial class CpuKernels
{
    /// <summary>
    /// Rows per step where the vectors take turns over a row range (float kernels; more vectors than one native call
    /// takes): the rows come from DRAM once, then from L1 (four 2880-column BF16 rows: 23 KB).
    /// </summary>
    private const int DenseRunRows = 4;

    /// <summary>
    /// Rows [start, end) against every vector, one sequential stream per thread as in a GEMV: in one pass of the
    /// multi-vector native kernel where every vector holds BF16 values (the BF16 mode), else with the vectors taking turns
    /// a few rows at a time (<see cref="DenseRunRows"/>). A vector's row is <see cref="Avx512Bf16Dot"/>'s sum then the
    /// bias, or the float kernel's plus the bias, exactly as a GEMV of that vector alone computes it.
    /// </summary>
    private readonly struct Bf16GemmJob(KernelIsa isa, Bf16Matrix w, BatchInputs inputs, int count, float* y, Bias bias) : IRangeJob
    {
        public void Run(int start, int end)
        {
            if (count > 1 && inputs.AllNative(count))
            {
                RunNative(start, end);
                return;
            }
            for (int r0 = start; r0 < end;)
            {
                // One vector takes the whole range in one native call, as the GEMV always did.
                int rows = count == 1 ? end - r0 : Math.Min(DenseRunRows, end - r0);
                for (int v = 0; v < count; v++)
                {
                    float* yv = y + (long)v * w.Rows;
                    if (inputs.Native[v])
                    {
                        Avx512Bf16Dot.Rows(w.Row(r0), inputs.Bf16(v), w.Cols, rows, yv + r0);
                        if (!bias.IsNone)
                            for (int r = r0; r < r0 + rows; r++) yv[r] += bias[r];
                    }
                    else
                    {
                        float* xs = inputs.Split(v);
                        for (int r = r0; r < r0 + rows; r++) yv[r] = Bf16Dot.Dot1(isa, w, r, xs) + bias[r];
                    }
                }
                r0 += rows;
            }
        }

        /// <summary>
        /// Every vector through <see cref="Avx512Bf16Dot.RowsBatch"/> (the BF16 mode's case): each 64-byte weight load
        /// feeds all of them; beyond <see cref="Avx512Bf16Dot.MaxVectors"/> vectors, groups take turns a few rows at a time.
        /// </summary>
        private void RunNative(int start, int end)
        {
            int step = count <= Avx512Bf16Dot.MaxVectors ? end - start : DenseRunRows;
            for (int r0 = start; r0 < end; r0 += step)
            {
                int rows = Math.Min(step, end - r0);
                for (int v = 0; v < count; v += Avx512Bf16Dot.MaxVectors)
                    Avx512Bf16Dot.RowsBatch(w.Row(r0), inputs.Bf16(v), w.Cols, rows, Math.Min(Avx512Bf16Dot.MaxVectors, count - v), y + (long)v * w.Rows + r0, w.Rows);
                if (!bias.IsNone)
                    for (int v = 0; v < count; v++)
                        for (int r = r0; r < r0 + rows; r++) y[(long)v * w.Rows + r] += bias[r];
            }
        }
    }

    /// <summary>The float32 matrix's <see cref="Bf16GemmJob"/>: every vector through the float kernel.</summary>
    private readonly struct F32GemmJob(KernelIsa isa, F32Matrix w, BatchInputs inputs, int count, float* y, Bias bias) : IRangeJob
    {
        public void Run(int start, int end)
        {
            for (int r0 = start; r0 < end;)
            {
                int rows = count == 1 ? end - r0 : Math.Min(DenseRunRows, end - r0);
                for (int v = 0; v < count; v++)
                {
                    float* yv = y + (long)v * w.Rows, xs = inputs.Split(v);
                    for (int r = r0; r < r0 + rows; r++) yv[r] = F32Dot.Dot1(isa, w, r, xs) + bias[r];
                }
                r0 += rows;
            }
        }
    }
}

/// <summary>
/// A dense GEMM's input vectors in scratch: vector v as BF16 bits for the native kernel where <see cref="Native"/>[v],
/// else split for the float kernels (<see cref="ActivationSplit"/>).
/// </summary>
internal readonly unsafe struct BatchInputs(ushort* bf16, float* split, bool* native, int cols)
{
    public readonly bool* Native = native;

    public ushort* Bf16(int v) => bf16 + (long)v * cols;

    /// <summary>Whether all <paramref name="count"/> vectors take the native kernel.</summary>
    public bool AllNative(int count)
    {
        for (int v = 0; v < count; v++)
            if (!Native[v]) return false;
        return true;
    }

    public float* Split(int v) => split + (long)v * cols;
}
