using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace StrategyLab.Runtime.Models.Lstm;

/// <summary>
/// Packing buffers for <see cref="Gemm"/>: one per thread, allocated once and reused, so a
/// multiplication never allocates.
/// </summary>
internal sealed class GemmScratch<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    internal readonly T[] PackedA = new T[Gemm.BlockM * Gemm.BlockK];
    internal readonly T[] PackedB = new T[Gemm.BlockK * Gemm.BlockN];
}

/// <summary>
/// Dense matrix product C = op(A)·op(B), or C += op(A)·op(B), on row-major spans, cache-blocked
/// and packed in the Goto–van de Geijn (BLIS) arrangement: B is packed in blocks of
/// <see cref="BlockK"/> × <see cref="BlockN"/> into micro-panels <c>2 × Vector256&lt;T&gt;.Count</c>
/// columns wide, A in blocks of <see cref="BlockM"/> × <see cref="BlockK"/> into micro-panels
/// <see cref="MicroRows"/> rows tall (zero padded at the edges), and a register-blocked
/// micro-kernel of fused multiply–adds works through one micro-tile at a time.
/// </summary>
/// <remarks>
/// Each element of C is the sum over k in the same order whatever M, N or the row offset, so a
/// row of the result does not depend on which other rows were multiplied with it.
/// </remarks>
internal static class Gemm
{
    internal const int MicroRows = 6;
    internal const int BlockM = 96;
    internal const int BlockK = 256;
    internal const int BlockN = 512;

    /// <summary>
    /// C[m × n] = op(A)[m × k] · op(B)[k × n], plus C's previous values when
    /// <paramref name="accumulate"/>. op(A) is A, or Aᵀ when <paramref name="transposeA"/> (then A
    /// is stored k × m); the same for B. <paramref name="lda"/>, <paramref name="ldb"/> and
    /// <paramref name="ldc"/> are the row strides of the stored matrices.
    /// </summary>
    public static void Multiply<T>(
        bool transposeA, bool transposeB, int m, int n, int k,
        ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb,
        Span<T> c, int ldc, bool accumulate, GemmScratch<T> scratch)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (m == 0 || n == 0)
            return;
        if (k == 0)
        {
            if (!accumulate)
                for (var i = 0; i < m; i++)
                    c.Slice(i * ldc, n).Clear();
            return;
        }
        var nr = 2 * Vector256<T>.Count;
        for (var jc = 0; jc < n; jc += BlockN)
        {
            var nc = Math.Min(BlockN, n - jc);
            for (var pc = 0; pc < k; pc += BlockK)
            {
                var kc = Math.Min(BlockK, k - pc);
                // B is packed when transposed; otherwise full micro-panels are read in place (each
                // k-row of a panel is one contiguous run) and only a ragged last panel is packed
                var fullB = nc / nr * nr;
                if (transposeB)
                    PackB(true, b, ldb, pc, jc, kc, nc, nr, scratch.PackedB);
                else if (fullB < nc)
                    PackB(false, b, ldb, pc, jc + fullB, kc, nc - fullB, nr, scratch.PackedB);
                var add = accumulate || pc > 0;
                for (var ic = 0; ic < m; ic += BlockM)
                {
                    var mc = Math.Min(BlockM, m - ic);
                    // full micro-panels of A are read in place through their strides; a ragged last one is packed
                    var fullA = mc / MicroRows * MicroRows;
                    if (fullA < mc)
                        PackA(transposeA, a, lda, ic + fullA, pc, mc - fullA, kc, scratch.PackedA);
                    for (var jr = 0; jr < nc; jr += nr)
                    {
                        var cols = Math.Min(nr, nc - jr);
                        nint bStep;
                        ref var bp = ref Unsafe.NullRef<T>();
                        if (transposeB)
                        {
                            bp = ref scratch.PackedB[jr * kc];
                            bStep = nr;
                        }
                        else if (jr < fullB)
                        {
                            bp = ref Unsafe.AsRef(in b[pc * ldb + jc + jr]);
                            bStep = ldb;
                        }
                        else
                        {
                            bp = ref scratch.PackedB[0];
                            bStep = nr;
                        }
                        for (var ir = 0; ir < mc; ir += MicroRows)
                        {
                            var rows = Math.Min(MicroRows, mc - ir);
                            nint rowStep, kStep;
                            ref var ap = ref Unsafe.NullRef<T>();
                            if (ir >= fullA)
                            {
                                ap = ref scratch.PackedA[0];
                                (rowStep, kStep) = (1, MicroRows);
                            }
                            else if (transposeA)
                            {
                                ap = ref Unsafe.AsRef(in a[pc * lda + ic + ir]);
                                (rowStep, kStep) = (1, lda);
                            }
                            else
                            {
                                ap = ref Unsafe.AsRef(in a[(ic + ir) * lda + pc]);
                                (rowStep, kStep) = (lda, 1);
                            }
                            ref var ct = ref c[(ic + ir) * ldc + jc + jr];
                            MicroKernel(kc, ref ap, rowStep, kStep, ref bp, bStep, ref ct, ldc, rows, cols, add);
                        }
                    }
                }
            }
        }
    }

    // packed A: micro-panels of MicroRows rows, each stored k-major: panel[p * MicroRows + r]
    private static void PackA<T>(bool transpose, ReadOnlySpan<T> a, int lda, int i0, int p0, int mc, int kc, T[] packed)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        for (var ir = 0; ir < mc; ir += MicroRows)
        {
            var rows = Math.Min(MicroRows, mc - ir);
            var panel = packed.AsSpan(ir * kc, MicroRows * kc);
            if (rows < MicroRows)
                panel.Clear();
            if (transpose)
            {
                for (var p = 0; p < kc; p++)
                {
                    var src = a.Slice((p0 + p) * lda + i0 + ir, rows);
                    src.CopyTo(panel.Slice(p * MicroRows, rows));
                }
            }
            else
            {
                for (var r = 0; r < rows; r++)
                {
                    var src = a.Slice((i0 + ir + r) * lda + p0, kc);
                    for (var p = 0; p < kc; p++)
                        panel[p * MicroRows + r] = src[p];
                }
            }
        }
    }

    // packed B: micro-panels of nr columns, each stored k-major: panel[p * nr + j]
    private static void PackB<T>(bool transpose, ReadOnlySpan<T> b, int ldb, int p0, int j0, int kc, int nc, int nr, T[] packed)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        for (var jr = 0; jr < nc; jr += nr)
        {
            var cols = Math.Min(nr, nc - jr);
            var panel = packed.AsSpan(jr * kc, nr * kc);
            if (cols < nr)
                panel.Clear();
            if (transpose)
            {
                for (var j = 0; j < cols; j++)
                {
                    var src = b.Slice((j0 + jr + j) * ldb + p0, kc);
                    for (var p = 0; p < kc; p++)
                        panel[p * nr + j] = src[p];
                }
            }
            else
            {
                for (var p = 0; p < kc; p++)
                    b.Slice((p0 + p) * ldb + j0 + jr, cols).CopyTo(panel.Slice(p * nr, cols));
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<T> Fma<T>(Vector256<T> a, Vector256<T> b, Vector256<T> c)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float))
            return Vector256.FusedMultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>();
        if (typeof(T) == typeof(double))
            return Vector256.FusedMultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
        return a * b + c;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MicroKernel<T>(int kc, ref T ap, nint rowStep, nint kStep, ref T bp, nint bStep, ref T c, int ldc, int rows, int cols, bool accumulate)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var w = Vector256<T>.Count;
        var nr = 2 * w;
        Vector256<T> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<T> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        ref var a0r = ref ap;
        ref var a1r = ref Unsafe.Add(ref ap, rowStep);
        ref var a2r = ref Unsafe.Add(ref ap, 2 * rowStep);
        ref var a3r = ref Unsafe.Add(ref ap, 3 * rowStep);
        ref var a4r = ref Unsafe.Add(ref ap, 4 * rowStep);
        ref var a5r = ref Unsafe.Add(ref ap, 5 * rowStep);
        nint ao = 0, bo = 0;
        for (var p = 0; p < kc; p++)
        {
            var b0 = Vector256.LoadUnsafe(ref Unsafe.Add(ref bp, bo));
            var b1 = Vector256.LoadUnsafe(ref Unsafe.Add(ref bp, bo + w));
            var a0 = Vector256.Create(Unsafe.Add(ref a0r, ao));
            c00 = Fma(a0, b0, c00);
            c01 = Fma(a0, b1, c01);
            var a1 = Vector256.Create(Unsafe.Add(ref a1r, ao));
            c10 = Fma(a1, b0, c10);
            c11 = Fma(a1, b1, c11);
            var a2 = Vector256.Create(Unsafe.Add(ref a2r, ao));
            c20 = Fma(a2, b0, c20);
            c21 = Fma(a2, b1, c21);
            var a3 = Vector256.Create(Unsafe.Add(ref a3r, ao));
            c30 = Fma(a3, b0, c30);
            c31 = Fma(a3, b1, c31);
            var a4 = Vector256.Create(Unsafe.Add(ref a4r, ao));
            c40 = Fma(a4, b0, c40);
            c41 = Fma(a4, b1, c41);
            var a5 = Vector256.Create(Unsafe.Add(ref a5r, ao));
            c50 = Fma(a5, b0, c50);
            c51 = Fma(a5, b1, c51);
            ao += kStep;
            bo += bStep;
        }
        if (rows == MicroRows && cols == nr)
        {
            Store(ref c, 0, c00, c01, w, accumulate);
            Store(ref c, ldc, c10, c11, w, accumulate);
            Store(ref c, 2 * ldc, c20, c21, w, accumulate);
            Store(ref c, 3 * ldc, c30, c31, w, accumulate);
            Store(ref c, 4 * ldc, c40, c41, w, accumulate);
            Store(ref c, 5 * ldc, c50, c51, w, accumulate);
            return;
        }
        Span<T> tile = stackalloc T[MicroRows * 2 * Vector256<T>.Count];
        ref var t = ref tile[0];
        c00.StoreUnsafe(ref t, 0); c01.StoreUnsafe(ref t, (nuint)w);
        c10.StoreUnsafe(ref t, (nuint)nr); c11.StoreUnsafe(ref t, (nuint)(nr + w));
        c20.StoreUnsafe(ref t, (nuint)(2 * nr)); c21.StoreUnsafe(ref t, (nuint)(2 * nr + w));
        c30.StoreUnsafe(ref t, (nuint)(3 * nr)); c31.StoreUnsafe(ref t, (nuint)(3 * nr + w));
        c40.StoreUnsafe(ref t, (nuint)(4 * nr)); c41.StoreUnsafe(ref t, (nuint)(4 * nr + w));
        c50.StoreUnsafe(ref t, (nuint)(5 * nr)); c51.StoreUnsafe(ref t, (nuint)(5 * nr + w));
        for (var r = 0; r < rows; r++)
        {
            ref var cr = ref Unsafe.Add(ref c, r * ldc);
            for (var j = 0; j < cols; j++)
            {
                var v = tile[r * nr + j];
                Unsafe.Add(ref cr, j) = accumulate ? Unsafe.Add(ref cr, j) + v : v;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<T>(ref T c, int offset, Vector256<T> v0, Vector256<T> v1, int w, bool accumulate)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ref var row = ref Unsafe.Add(ref c, offset);
        if (accumulate)
        {
            v0 += Vector256.LoadUnsafe(ref row);
            v1 += Vector256.LoadUnsafe(ref row, (nuint)w);
        }
        v0.StoreUnsafe(ref row);
        v1.StoreUnsafe(ref row, (nuint)w);
    }
}
