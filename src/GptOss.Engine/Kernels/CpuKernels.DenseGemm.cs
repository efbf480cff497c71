namespace GptOss.Engine.Kernels;

internal sealed unsafe partial class CpuKernels
{
    /// <summary>
    /// Rows per step when several vectors share a row range: each vector runs over these rows in turn, so the rows come
    /// from DRAM once and then from L1 (four 2880-column BF16 rows: 23 KB).
    /// </summary>
    private const int DenseRunRows = 4;

    /// <summary>
    /// Rows [start, end) against every vector, a few rows at a time (<see cref="DenseRunRows"/>): one sequential stream per
    /// thread as in a GEMV. A vector's row is <see cref="Avx512Bf16Dot"/> then the bias, or the float kernel plus the bias,
    /// exactly as a GEMV of that vector alone computes it.
    /// </summary>
    private readonly struct Bf16GemmJob(KernelIsa isa, Bf16Matrix w, BatchInputs inputs, int count, float* y, Bias bias) : IRangeJob
    {
        public void Run(int start, int end)
        {
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

    public float* Split(int v) => split + (long)v * cols;
}
