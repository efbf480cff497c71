using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using X86Fma = System.Runtime.Intrinsics.X86.Fma;

namespace GptOss.Engine.Kernels;

/// <summary>
/// <see cref="Count"/> float32 lanes and the few operations <see cref="SinkAttention"/> needs, so one algorithm serves
/// every <see cref="KernelIsa"/>: 16 lanes (AVX-512), 8 (AVX2 + FMA), 1 (scalar). The JIT specializes a generic job per
/// lane type and inlines these.
/// </summary>
internal unsafe interface ILanes<TSelf> where TSelf : struct, ILanes<TSelf>
{
    static abstract int Count { get; }
    static abstract TSelf Zero { get; }
    static abstract TSelf Load(float* p);
    static abstract TSelf Broadcast(float value);
    /// <summary>a·b + c.</summary>
    static abstract TSelf Fma(TSelf a, TSelf b, TSelf c);
    static abstract TSelf Add(TSelf a, TSelf b);
    static abstract TSelf Subtract(TSelf a, TSelf b);
    static abstract TSelf Multiply(TSelf a, TSelf b);
    static abstract TSelf Divide(TSelf a, TSelf b);
    static abstract TSelf Max(TSelf a, TSelf b);
    /// <summary>e^x for x ≤ 0; 0 below −87 and at −∞.</summary>
    static abstract TSelf Exp(TSelf x);
    /// <summary>Round to nearest even BF16 (<see cref="Fp.RoundToBf16(float)"/>, bit for bit).</summary>
    static abstract TSelf RoundToBf16(TSelf x);
    /// <summary>x where the lane's [first, last] holds <paramref name="position"/>, −∞ elsewhere.</summary>
    static abstract TSelf Visible(TSelf x, int position, int* first, int* last);
    void Store(float* p);
}

/// <summary>What the vector lanes add to <see cref="ILanes{TSelf}"/> so that <see cref="ExpPolynomial"/> serves every width.</summary>
internal interface IVectorLanes<TSelf> : ILanes<TSelf> where TSelf : struct, IVectorLanes<TSelf>
{
    static abstract TSelf Floor(TSelf x);
    /// <summary>y · 2^n for integral n in the normal exponent range, built in the exponent bits.</summary>
    static abstract TSelf ScaleByPowerOfTwo(TSelf y, TSelf n);
    /// <summary>0 where x &lt; limit, y elsewhere.</summary>
    static abstract TSelf ZeroBelow(TSelf x, float limit, TSelf y);
}

/// <summary>
/// e^x for the vector lanes, one algorithm for every width: x = n·ln2 + r (ln2 split in two so n·ln2 is exact), e^r by
/// Cephes' degree-6 expf polynomial (about 2 ulp), 2^n built in the exponent bits. Inputs are clamped at −87 first so no
/// lane computes with subnormals (a microcode assist each), and lanes below it return 0.
/// </summary>
internal static class ExpPolynomial
{
    public const float Low = -87f;
    private const float Log2E = 1.44269504088896341f, Ln2High = 0.693359375f, Ln2Low = -2.12194440e-4f;
    private const float C6 = 1.9875691500e-4f, C5 = 1.3981999507e-3f, C4 = 8.3334519073e-3f, C3 = 4.1665795894e-2f,
        C2 = 1.6666665459e-1f, C1 = 5.0000001201e-1f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Exp<T>(T x) where T : struct, IVectorLanes<T>
    {
        var t = T.Max(x, T.Broadcast(Low));
        var n = T.Floor(T.Fma(t, T.Broadcast(Log2E), T.Broadcast(0.5f)));
        // −n·c + t with one rounding each, as a fused negated multiply-add computes it.
        var r = T.Fma(n, T.Broadcast(-Ln2High), t);
        r = T.Fma(n, T.Broadcast(-Ln2Low), r);
        var y = T.Fma(T.Broadcast(C6), r, T.Broadcast(C5));
        y = T.Fma(y, r, T.Broadcast(C4));
        y = T.Fma(y, r, T.Broadcast(C3));
        y = T.Fma(y, r, T.Broadcast(C2));
        y = T.Fma(y, r, T.Broadcast(C1));
        y = T.Fma(y, T.Multiply(r, r), T.Add(r, T.Broadcast(1f)));
        return T.ZeroBelow(x, Low, T.ScaleByPowerOfTwo(y, n));
    }
}

internal readonly unsafe struct Lanes512(Vector512<float> value) : IVectorLanes<Lanes512>
{
    private readonly Vector512<float> _value = value;

    public static int Count => 16;
    public static Lanes512 Zero => new(Vector512<float>.Zero);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512 Load(float* p) => new(Vector512.Load(p));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512 Broadcast(float value) => new(Vector512.Create(value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512 Fma(Lanes512 a, Lanes512 b, Lanes512 c) => new(Avx512F.FusedMultiplyAdd(a._value, b._value, c._value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512 Add(Lanes512 a, Lanes512 b) => new(a._value + b._value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512 Multiply(Lanes512 a, Lanes512 b) => new(a._value * b._value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512 Subtract(Lanes512 a, Lanes512 b) => new(a._value - b._value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512 Divide(Lanes512 a, Lanes512 b) => new(a._value / b._value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512 Max(Lanes512 a, Lanes512 b) => new(Vector512.Max(a._value, b._value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public void Store(float* p) => _value.Store(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512 Exp(Lanes512 x) => ExpPolynomial.Exp(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512 Floor(Lanes512 x) => new(Vector512.Floor(x._value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 ScaleByPowerOfTwo(Lanes512 y, Lanes512 n) =>
        new(y._value * ((Vector512.ConvertToInt32(n._value) + Vector512.Create(127)) << 23).AsSingle());
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 ZeroBelow(Lanes512 x, float limit, Lanes512 y) =>
        new(Vector512.ConditionalSelect(Vector512.LessThan(x._value, Vector512.Create(limit)), Vector512<float>.Zero, y._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 RoundToBf16(Lanes512 x) => new(Fp.RoundToBf16(x._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 Visible(Lanes512 x, int position, int* first, int* last)
    {
        var p = Vector512.Create(position);
        var visible = Vector512.GreaterThanOrEqual(p, Vector512.Load(first)) & Vector512.LessThanOrEqual(p, Vector512.Load(last));
        return new(Vector512.ConditionalSelect(visible.AsSingle(), x._value, Vector512.Create(float.NegativeInfinity)));
    }
}

internal readonly unsafe struct Lanes256(Vector256<float> value) : IVectorLanes<Lanes256>
{
    private readonly Vector256<float> _value = value;

    public static int Count => 8;
    public static Lanes256 Zero => new(Vector256<float>.Zero);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256 Load(float* p) => new(Vector256.Load(p));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256 Broadcast(float value) => new(Vector256.Create(value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256 Fma(Lanes256 a, Lanes256 b, Lanes256 c) => new(X86Fma.MultiplyAdd(a._value, b._value, c._value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256 Add(Lanes256 a, Lanes256 b) => new(a._value + b._value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256 Multiply(Lanes256 a, Lanes256 b) => new(a._value * b._value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256 Subtract(Lanes256 a, Lanes256 b) => new(a._value - b._value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256 Divide(Lanes256 a, Lanes256 b) => new(a._value / b._value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256 Max(Lanes256 a, Lanes256 b) => new(Vector256.Max(a._value, b._value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public void Store(float* p) => _value.Store(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256 Exp(Lanes256 x) => ExpPolynomial.Exp(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256 Floor(Lanes256 x) => new(Vector256.Floor(x._value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 ScaleByPowerOfTwo(Lanes256 y, Lanes256 n) =>
        new(y._value * ((Vector256.ConvertToInt32(n._value) + Vector256.Create(127)) << 23).AsSingle());
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 ZeroBelow(Lanes256 x, float limit, Lanes256 y) =>
        new(Vector256.ConditionalSelect(Vector256.LessThan(x._value, Vector256.Create(limit)), Vector256<float>.Zero, y._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 RoundToBf16(Lanes256 x) => new(Fp.RoundToBf16(x._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 Visible(Lanes256 x, int position, int* first, int* last)
    {
        var p = Vector256.Create(position);
        var visible = Vector256.GreaterThanOrEqual(p, Vector256.Load(first)) & Vector256.LessThanOrEqual(p, Vector256.Load(last));
        return new(Vector256.ConditionalSelect(visible.AsSingle(), x._value, Vector256.Create(float.NegativeInfinity)));
    }
}

/// <summary>One lane: plain float math (MathF.Exp, the scalar BF16 rounding).</summary>
internal readonly unsafe struct Lane1(float value) : ILanes<Lane1>
{
    private readonly float _value = value;

    public static int Count => 1;
    public static Lane1 Zero => new(0f);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lane1 Load(float* p) => new(*p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lane1 Broadcast(float value) => new(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lane1 Fma(Lane1 a, Lane1 b, Lane1 c) => new(a._value * b._value + c._value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lane1 Add(Lane1 a, Lane1 b) => new(a._value + b._value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lane1 Multiply(Lane1 a, Lane1 b) => new(a._value * b._value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lane1 Subtract(Lane1 a, Lane1 b) => new(a._value - b._value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lane1 Divide(Lane1 a, Lane1 b) => new(a._value / b._value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lane1 Max(Lane1 a, Lane1 b) => new(Math.Max(a._value, b._value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lane1 Exp(Lane1 x) => new(x._value < ExpPolynomial.Low ? 0f : MathF.Exp(x._value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lane1 RoundToBf16(Lane1 x) => new(Fp.RoundToBf16(x._value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane1 Visible(Lane1 x, int position, int* first, int* last) =>
        new(position >= *first && position <= *last ? x._value : float.NegativeInfinity);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public void Store(float* p) => *p = _value;
}
