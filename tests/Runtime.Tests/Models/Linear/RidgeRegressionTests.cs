using StrategyLab.Runtime.Data.Synthetic;
using StrategyLab.Runtime.Models.Linear;

namespace StrategyLab.Runtime.Tests.Models.Linear;

public sealed class RidgeRegressionTests
{
    internal static (double[] X, double[] Y) Data(int rows, int features, ulong seed)
    {
        var rng = new SplitMix64(seed);
        var x = new double[rows * features];
        var y = new double[rows];
        for (var i = 0; i < rows; i++)
        {
            y[i] = 0.7;
            for (var j = 0; j < features; j++)
            {
                // columns on different scales and offsets, so standardisation matters
                var v = (j + 1) * rng.Normal() + 3 * j;
                x[i * features + j] = v;
                y[i] += (j % 2 == 0 ? 1.5 : -0.4) * v;
            }
            y[i] += rng.Normal();
        }
        return (x, y);
    }

    /// <summary>Solves A x = b by Gaussian elimination with partial pivoting (independent of the model's Cholesky).</summary>
    internal static double[] Gauss(double[,] a, double[] b)
    {
        var n = b.Length;
        var m = (double[,])a.Clone();
        var r = (double[])b.Clone();
        for (var c = 0; c < n; c++)
        {
            var pivot = c;
            for (var i = c + 1; i < n; i++)
                if (Math.Abs(m[i, c]) > Math.Abs(m[pivot, c]))
                    pivot = i;
            for (var k = 0; k < n; k++)
                (m[c, k], m[pivot, k]) = (m[pivot, k], m[c, k]);
            (r[c], r[pivot]) = (r[pivot], r[c]);
            for (var i = c + 1; i < n; i++)
            {
                var f = m[i, c] / m[c, c];
                for (var k = c; k < n; k++)
                    m[i, k] -= f * m[c, k];
                r[i] -= f * r[c];
            }
        }
        var x = new double[n];
        for (var i = n - 1; i >= 0; i--)
        {
            var s = r[i];
            for (var k = i + 1; k < n; k++)
                s -= m[i, k] * x[k];
            x[i] = s / m[i, i];
        }
        return x;
    }

    [Fact]
    public void RecoversAnExactLineWithoutPenalty()
    {
        var model = RidgeRegression.Fit([0, 1, 2, 3], [1, 3, 5, 7], lambda: 0);
        Assert.Equal(1.0, model.Intercept, 12);
        Assert.Equal(2.0, model.Coefficients[0], 12);
        var p = new double[2];
        model.Predict([10, -1], p);
        Assert.Equal(21.0, p[0], 11);
        Assert.Equal(-1.0, p[1], 11);
    }

    [Fact]
    public void MatchesTheNormalEquationsOnTheOriginalScale()
    {
        // on the original scale the fit minimises Σ (y − b₀ − xᵀb)² + λ Σ σⱼ² bⱼ², whose normal equations are
        // [n, Σx; Σx, XᵀX + λ diag(σ²)] [b₀; b] = [Σy; Xᵀy]
        const int n = 60, p = 4;
        var (x, y) = Data(n, p, 21);
        foreach (var lambda in new[] { 0.0, 3.0, 250.0 })
        {
            var a = new double[p + 1, p + 1];
            var b = new double[p + 1];
            for (var i = 0; i < n; i++)
            {
                var row = new double[p + 1];
                row[0] = 1;
                for (var j = 0; j < p; j++)
                    row[j + 1] = x[i * p + j];
                for (var r = 0; r <= p; r++)
                {
                    b[r] += row[r] * y[i];
                    for (var c = 0; c <= p; c++)
                        a[r, c] += row[r] * row[c];
                }
            }
            for (var j = 0; j < p; j++)
            {
                double mean = 0, variance = 0;
                for (var i = 0; i < n; i++)
                    mean += x[i * p + j] / n;
                for (var i = 0; i < n; i++)
                    variance += (x[i * p + j] - mean) * (x[i * p + j] - mean) / n;
                a[j + 1, j + 1] += lambda * variance;
            }
            var expected = Gauss(a, b);
            var model = RidgeRegression.Fit(x, y, lambda);
            Assert.Equal(expected[0], model.Intercept, 9);
            for (var j = 0; j < p; j++)
                Assert.Equal(expected[j + 1], model.Coefficients[j], 9);
        }
    }

    [Fact]
    public void AHugePenaltyLeavesOnlyTheUnpenalisedInterceptAtTheMeanLabel()
    {
        var (x, y) = Data(40, 3, 22);
        var model = RidgeRegression.Fit(x, y, 1e12);
        var mean = y.Average();
        var p = new double[40];
        model.Predict(x, p);
        Assert.All(p, v => Assert.Equal(mean, v, 6));
    }

    [Fact]
    public void AConstantFeatureGetsAZeroCoefficient()
    {
        double[] x = [1, 5, 2, 5, 3, 5, 4, 5];
        var model = RidgeRegression.Fit(x, [2, 4, 6, 8], lambda: 0);
        Assert.Equal(0.0, model.Coefficients[1]);
        Assert.Equal(2.0, model.Coefficients[0], 12);
        Assert.Equal(0.0, model.Intercept, 12);
    }

    [Fact]
    public void RefusesCollinearFeaturesWithoutPenaltyAndMissingValues()
    {
        double[] x = [1, 2, 2, 4, 3, 6, 4, 8];
        var e = Assert.Throws<ArgumentException>(() => RidgeRegression.Fit(x, [1, 2, 3, 5], lambda: 0));
        Assert.StartsWith("the features are collinear", e.Message);
        Assert.Equal(2, RidgeRegression.Fit(x, [1, 2, 3, 5], lambda: 0.1).FeatureCount);
        e = Assert.Throws<ArgumentException>(() => RidgeRegression.Fit([1, double.NaN, 3], [1, 2, 3], lambda: 1));
        Assert.Equal("feature 0 of row 1 is NaN; linear models need finite values (impute or drop missing rows first)", e.Message);
    }

    [Fact]
    public void SavedModelLoadsWithTheSamePredictionsAndACorruptOneIsRefused()
    {
        var (x, y) = Data(30, 3, 23);
        var model = RidgeRegression.Fit(x, y, 2);
        using var stream = new MemoryStream();
        model.Save(stream);
        var bytes = stream.ToArray();
        var loaded = RidgeRegression.Load(new MemoryStream(bytes));
        Assert.Equal(model.Intercept, loaded.Intercept);
        Assert.Equal(model.Coefficients, loaded.Coefficients);
        Assert.Equal(2.0, loaded.Lambda);
        bytes[^10] ^= 0x01;
        var e = Assert.Throws<InvalidDataException>(() => RidgeRegression.Load(new MemoryStream(bytes)));
        Assert.Equal("the model stream is corrupt: its checksum does not match its contents", e.Message);
    }
}
