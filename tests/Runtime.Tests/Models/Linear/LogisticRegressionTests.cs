using FsCheck;
using FsCheck.Fluent;
using StrategyLab.Runtime.Data.Synthetic;
using StrategyLab.Runtime.Models.Gbdt;
using StrategyLab.Runtime.Models.Linear;

namespace StrategyLab.Runtime.Tests.Models.Linear;

public sealed class LogisticRegressionTests
{
    private static (double[] X, double[] Y) Data(int rows, int features, ulong seed)
    {
        var rng = new SplitMix64(seed);
        var x = new double[rows * features];
        var y = new double[rows];
        for (var i = 0; i < rows; i++)
        {
            var s = -0.3;
            for (var j = 0; j < features; j++)
            {
                var v = (j + 1) * rng.Normal() + j;
                x[i * features + j] = v;
                s += (j % 2 == 0 ? 0.8 : -0.5) * v / (j + 1);
            }
            y[i] = rng.Uniform() < 1 / (1 + Math.Exp(-s)) ? 1 : 0;
        }
        return (x, y);
    }

    [Fact]
    public void OneBinaryFeatureGivesEachGroupsLogOdds()
    {
        // without penalty the fit reproduces each group's class rate: 1/4 at x = 0 and 3/4 at x = 1,
        // so the intercept is logit(1/4) = −ln 3 and the coefficient logit(3/4) − logit(1/4) = 2 ln 3
        double[] x = [0, 0, 0, 0, 1, 1, 1, 1];
        double[] y = [1, 0, 0, 0, 1, 1, 1, 0];
        var model = LogisticRegression.Fit(x, y, lambda: 0);
        Assert.Equal(-Math.Log(3), model.Intercept, 7);
        Assert.Equal(2 * Math.Log(3), model.Coefficients[0], 7);
        var p = new double[2];
        model.Predict([0, 1], p);
        Assert.Equal(0.25, p[0], 7);
        Assert.Equal(0.75, p[1], 7);
    }

    [Fact]
    public void GradientMatchesCentralFiniteDifferencesAnywhere()
    {
        Prop.ForAll(Gen.Choose(0, int.MaxValue).ToArbitrary(), seed =>
        {
            var rng = new SplitMix64((ulong)seed);
            const int n = 12, p = 3;
            var z = new double[n * p];
            var y = new double[n];
            for (var i = 0; i < z.Length; i++)
                z[i] = 2 * rng.Normal();
            for (var i = 0; i < n; i++)
                y[i] = rng.Uniform() < 0.5 ? 1 : 0;
            var w = new double[p + 1];
            for (var j = 0; j <= p; j++)
                w[j] = 3 * rng.Normal();
            var lambda = 2 * rng.Uniform();
            var gradient = new double[p + 1];
            LogisticRegression.Objective(z, y, p, lambda, w, gradient);
            var scratch = new double[p + 1];
            for (var j = 0; j <= p; j++)
            {
                const double h = 1e-5;
                var up = (double[])w.Clone();
                var down = (double[])w.Clone();
                up[j] += h;
                down[j] -= h;
                var numeric = (LogisticRegression.Objective(z, y, p, lambda, up, scratch) - LogisticRegression.Objective(z, y, p, lambda, down, scratch)) / (2 * h);
                if (Math.Abs(numeric - gradient[j]) > 1e-6 * Math.Max(1, Math.Abs(numeric)))
                    return false;
            }
            return true;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(100));
    }

    [Fact]
    public void TheFitZeroesTheGradientOfThePenalisedLikelihoodOnTheOriginalScale()
    {
        // on the original scale the penalty is (λ/2) Σ σⱼ² wⱼ², so at the optimum
        // Σ (pᵢ − yᵢ) = 0 and Σ (pᵢ − yᵢ) xᵢⱼ + λ σⱼ² wⱼ = 0
        const int n = 400, p = 3;
        var (x, y) = Data(n, p, 31);
        const double lambda = 5;
        var model = LogisticRegression.Fit(x, y, lambda);
        var prob = new double[n];
        model.Predict(x, prob);
        double g0 = 0;
        for (var i = 0; i < n; i++)
            g0 += prob[i] - y[i];
        Assert.True(Math.Abs(g0) < 1e-5, $"intercept gradient {g0}");
        for (var j = 0; j < p; j++)
        {
            double mean = 0, variance = 0, g = 0;
            for (var i = 0; i < n; i++)
                mean += x[i * p + j] / n;
            for (var i = 0; i < n; i++)
            {
                variance += (x[i * p + j] - mean) * (x[i * p + j] - mean) / n;
                g += (prob[i] - y[i]) * x[i * p + j];
            }
            g += lambda * variance * model.Coefficients[j];
            Assert.True(Math.Abs(g) < 1e-5, $"coefficient {j} gradient {g}");
        }
    }

    [Fact]
    public void APenaltyKeepsSeparableDataFiniteAndShrinksTheCoefficients()
    {
        double[] x = [-2, -1, -0.5, 0.5, 1, 2];
        double[] y = [0, 0, 0, 1, 1, 1];
        var weak = LogisticRegression.Fit(x, y, lambda: 0.01);
        var strong = LogisticRegression.Fit(x, y, lambda: 1);
        Assert.True(double.IsFinite(weak.Coefficients[0]));
        Assert.True(weak.Coefficients[0] > strong.Coefficients[0] && strong.Coefficients[0] > 0);
        var p = new double[6];
        strong.Predict(x, p);
        for (var i = 0; i < 6; i++)
            Assert.Equal(y[i] == 1, p[i] > 0.5);
    }

    [Fact]
    public void RefusesLabelsOtherThanZeroAndOne()
    {
        var e = Assert.Throws<ArgumentException>(() => LogisticRegression.Fit([1, 2, 3], [0, 1, 0.5], 1));
        Assert.Equal("label 2 is 0.5; expected 0 or 1", e.Message);
    }

    [Fact]
    public void SavedModelLoadsWithTheSamePredictionsAndAnotherKindIsRefused()
    {
        var (x, y) = Data(50, 2, 32);
        var model = LogisticRegression.Fit(x, y, 1);
        var path = Path.Combine(Path.GetTempPath(), $"logistic-{Guid.NewGuid():N}.model");
        try
        {
            model.Save(path);
            var loaded = LogisticRegression.Load(path);
            var a = new double[50];
            var b = new double[50];
            model.Predict(x, a);
            loaded.Predict(x, b);
            Assert.Equal(a, b);
            var e = Assert.Throws<InvalidDataException>(() => RidgeRegression.Load(path));
            Assert.Equal($"'{path}' holds a 'LOGR' model, not a ridge regression model ('RIDG')", e.Message);
            e = Assert.Throws<InvalidDataException>(() => GbdtModel.Load(path));
            Assert.Equal($"'{path}' holds a 'LOGR' model, not a gradient-boosted tree model ('GBDT')", e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
