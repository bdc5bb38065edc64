using FsCheck;
using FsCheck.Fluent;
using StrategyLab.Runtime.Models.Lstm;

namespace StrategyLab.Runtime.Tests.Models.Lstm;

public sealed class GemmTests
{
    private sealed record Case(int M, int N, int K, bool TransposeA, bool TransposeB, bool Accumulate, int Seed);

    private static readonly Gen<Case> Cases =
        from m in Gen.Choose(1, 110)
        from n in Gen.Choose(1, 75)
        from k in Gen.Elements(1, 2, 3, 7, 16, 31, 33, 100, 257, 300)
        from ta in Gen.Elements(false, true)
        from tb in Gen.Elements(false, true)
        from acc in Gen.Elements(false, true)
        from seed in Gen.Choose(0, int.MaxValue)
        select new Case(m, n, k, ta, tb, acc, seed);

    private static double[] Random(int length, Random rng)
    {
        var x = new double[length];
        for (var i = 0; i < x.Length; i++)
            x[i] = rng.NextDouble() * 2 - 1;
        return x;
    }

    // the reference: a plain triple loop in double, reading op(A) and op(B) through their strides
    private static double[] Naive(Case c, double[] a, int lda, double[] b, int ldb, double[] c0, int ldc)
    {
        var result = (double[])c0.Clone();
        for (var i = 0; i < c.M; i++)
            for (var j = 0; j < c.N; j++)
            {
                double s = 0;
                for (var p = 0; p < c.K; p++)
                {
                    var av = c.TransposeA ? a[p * lda + i] : a[i * lda + p];
                    var bv = c.TransposeB ? b[j * ldb + p] : b[p * ldb + j];
                    s += av * bv;
                }
                result[i * ldc + j] = (c.Accumulate ? result[i * ldc + j] : 0) + s;
            }
        return result;
    }

    private static bool Agrees<T>(Case c, Func<double, T> of, Func<T, double> back, double tolerance)
        where T : unmanaged, System.Numerics.IBinaryFloatingPointIeee754<T>
    {
        var rng = new Random(c.Seed);
        // padded strides exercise lda/ldb/ldc larger than the logical width
        var lda = (c.TransposeA ? c.M : c.K) + 3;
        var ldb = (c.TransposeB ? c.K : c.N) + 1;
        var ldc = c.N + 2;
        var a = Random((c.TransposeA ? c.K : c.M) * lda, rng);
        var b = Random((c.TransposeB ? c.N : c.K) * ldb, rng);
        var c0 = Random(c.M * ldc, rng);
        var expected = Naive(c, a, lda, b, ldb, c0, ldc);
        var ct = c0.Select(of).ToArray();
        Gemm.Multiply<T>(c.TransposeA, c.TransposeB, c.M, c.N, c.K, a.Select(of).ToArray(), lda, b.Select(of).ToArray(), ldb, ct, ldc, c.Accumulate, new GemmScratch<T>());
        for (var i = 0; i < c.M; i++)
            for (var j = 0; j < ldc; j++)
            {
                var got = back(ct[i * ldc + j]);
                var want = j < c.N ? expected[i * ldc + j] : c0[i * ldc + j];
                if (Math.Abs(got - want) > tolerance * Math.Sqrt(c.K + 1))
                    return false;
            }
        return true;
    }

    [Fact]
    public void DoubleProductEqualsTripleLoopForAnyShapeAndTransposition()
        => Prop.ForAll(Cases.ToArbitrary(), c => Agrees(c, x => x, x => x, 1e-13))
            .Check(Config.QuickThrowOnFailure.WithMaxTest(150));

    [Fact]
    public void FloatProductEqualsTripleLoopForAnyShapeAndTransposition()
        => Prop.ForAll(Cases.ToArbitrary(), c => Agrees(c, x => (float)x, x => x, 2e-6))
            .Check(Config.QuickThrowOnFailure.WithMaxTest(150));

    [Fact]
    public void RowOfTheProductDoesNotDependOnTheOtherRows()
    {
        var rng = new Random(3);
        int m = 97, n = 40, k = 300;
        var a = Random(m * k, rng).Select(x => (float)x).ToArray();
        var b = Random(k * n, rng).Select(x => (float)x).ToArray();
        var all = new float[m * n];
        Gemm.Multiply<float>(false, false, m, n, k, a, k, b, n, all, n, false, new GemmScratch<float>());
        for (var i = 0; i < m; i += 13)
        {
            var one = new float[n];
            Gemm.Multiply<float>(false, false, 1, n, k, a.AsSpan(i * k, k), k, b, n, one, n, false, new GemmScratch<float>());
            Assert.Equal(all.AsSpan(i * n, n).ToArray(), one);
        }
    }
}
