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
    /// <summary>Round to nearest even BF16 (finite values and infinities).</summary>
    static abstract TSelf RoundToBf16(TSelf x);
    /// <summary>x where the lane's [first, last] holds <paramref name="position"/>, −∞ elsewhere.</summary>
    static abstract TSelf Visible(TSelf x, int position, int* first, int* last);
    void Store(float* p);
}

/// <summary>
/// The pieces of e^x the vector lanes share: x = n·ln2 + r (ln2 split in two so n·ln2 is exact), e^r by Cephes' degree-6
/// expf polynomial (about 2 ulp), 2^n built in the exponent bits. Inputs are clamped at −87 first so no lane computes
/// with subnormals (a microcode assist each), and lanes below it return 0.
/// </summary>
internal static class ExpPolynomial
{
    public const float Low = -87f, Log2E = 1.44269504088896341f, Ln2High = 0.693359375f, Ln2Low = -2.12194440e-4f;
    public const float C6 = 1.9875691500e-4f, C5 = 1.3981999507e-3f, C4 = 8.3334519073e-3f, C3 = 4.1665795894e-2f,
        C2 = 1.6666665459e-1f, C1 = 5.0000001201e-1f;
}

internal readonly unsafe struct Lanes512(Vector512<float> value) : ILanes<Lanes512>
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

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 Exp(Lanes512 x)
    {
        var small = Vector512.LessThan(x._value, Vector512.Create(ExpPolynomial.Low));
        var t = Vector512.Max(x._value, Vector512.Create(ExpPolynomial.Low));
        var n = Vector512.Floor(Avx512F.FusedMultiplyAdd(t, Vector512.Create(ExpPolynomial.Log2E), Vector512.Create(0.5f)));
        var r = Avx512F.FusedMultiplyAddNegated(n, Vector512.Create(ExpPolynomial.Ln2High), t);
        r = Avx512F.FusedMultiplyAddNegated(n, Vector512.Create(ExpPolynomial.Ln2Low), r);
        var y = Avx512F.FusedMultiplyAdd(Vector512.Create(ExpPolynomial.C6), r, Vector512.Create(ExpPolynomial.C5));
        y = Avx512F.FusedMultiplyAdd(y, r, Vector512.Create(ExpPolynomial.C4));
        y = Avx512F.FusedMultiplyAdd(y, r, Vector512.Create(ExpPolynomial.C3));
        y = Avx512F.FusedMultiplyAdd(y, r, Vector512.Create(ExpPolynomial.C2));
        y = Avx512F.FusedMultiplyAdd(y, r, Vector512.Create(ExpPolynomial.C1));
        y = Avx512F.FusedMultiplyAdd(y, r * r, r + Vector512<float>.One);
        var scale = ((Vector512.ConvertToInt32(n) + Vector512.Create(127)) << 23).AsSingle();
        return new(Vector512.ConditionalSelect(small, Vector512<float>.Zero, y * scale));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 RoundToBf16(Lanes512 x)
    {
        var bits = x._value.AsUInt32();
        return new(((bits + Vector512.Create(0x7FFFu) + ((bits >> 16) & Vector512<uint>.One)) & Vector512.Create(0xFFFF0000u)).AsSingle());
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 Visible(Lanes512 x, int position, int* first, int* last)
    {
        var p = Vector512.Create(position);
        var visible = Vector512.GreaterThanOrEqual(p, Vector512.Load(first)) & Vector512.LessThanOrEqual(p, Vector512.Load(last));
        return new(Vector512.ConditionalSelect(visible.AsSingle(), x._value, Vector512.Create(float.NegativeInfinity)));
    }
}

internal readonly unsafe struct Lanes256(Vector256<float> value) : ILanes<Lanes256>
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

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 Exp(Lanes256 x)
    {
        var small = Vector256.LessThan(x._value, Vector256.Create(ExpPolynomial.Low));
        var t = Vector256.Max(x._value, Vector256.Create(ExpPolynomial.Low));
        var n = Vector256.Floor(X86Fma.MultiplyAdd(t, Vector256.Create(ExpPolynomial.Log2E), Vector256.Create(0.5f)));
        var r = X86Fma.MultiplyAddNegated(n, Vector256.Create(ExpPolynomial.Ln2High), t);
        r = X86Fma.MultiplyAddNegated(n, Vector256.Create(ExpPolynomial.Ln2Low), r);
        var y = X86Fma.MultiplyAdd(Vector256.Create(ExpPolynomial.C6), r, Vector256.Create(ExpPolynomial.C5));
        y = X86Fma.MultiplyAdd(y, r, Vector256.Create(ExpPolynomial.C4));
        y = X86Fma.MultiplyAdd(y, r, Vector256.Create(ExpPolynomial.C3));
        y = X86Fma.MultiplyAdd(y, r, Vector256.Create(ExpPolynomial.C2));
        y = X86Fma.MultiplyAdd(y, r, Vector256.Create(ExpPolynomial.C1));
        y = X86Fma.MultiplyAdd(y, r * r, r + Vector256<float>.One);
        var scale = ((Vector256.ConvertToInt32(n) + Vector256.Create(127)) << 23).AsSingle();
        return new(Vector256.ConditionalSelect(small, Vector256<float>.Zero, y * scale));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 RoundToBf16(Lanes256 x)
    {
        var bits = x._value.AsUInt32();
        return new(((bits + Vector256.Create(0x7FFFu) + ((bits >> 16) & Vector256<uint>.One)) & Vector256.Create(0xFFFF0000u)).AsSingle());
    }

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
