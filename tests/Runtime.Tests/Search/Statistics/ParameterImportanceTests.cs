using System.Collections.Immutable;
using StrategyLab.Runtime.Data.Synthetic;
using StrategyLab.Runtime.Plan;
using StrategyLab.Runtime.Search;
using StrategyLab.Runtime.Search.Statistics;

namespace StrategyLab.Runtime.Tests.Search.Statistics;

public sealed class ParameterImportanceTests
{
    [Fact]
    public void AParameterThatDrivesTheObjectiveTakesNearlyAllTheImportance()
    {
        // y = 10·a + 0·b + noise, a and b uniform on [0, 1), noise N(0, 0.5²): permuting a adds about
        // 2·Var(10a) = 16.7 to the squared error, permuting b nothing but the model's own noise
        var (features, y) = Synthetic(200, (a, b) => 10 * a, seed: 1);
        var r = ParameterImportance.Compute(["a", "b"], features, y);
        var a = r.Parameters[0];
        var b = r.Parameters[1];
        Assert.Equal(("a", "b"), (a.Parameter, b.Parameter));
        Assert.True(a.Share > 0.95, $"a's share {a.Share}");
        Assert.True(b.Share < 0.05, $"b's share {b.Share}");
        Assert.True(a.MseIncrease > 50 * Math.Abs(b.MseIncrease), $"a {a.MseIncrease}, b {b.MseIncrease}");
        Assert.InRange(a.MseIncrease, 10, 25);
        Assert.True(r.OutOfFoldR2 > 0.8, $"R² {r.OutOfFoldR2}");
        Assert.Equal(1, r.Parameters.Sum(p => p.Share), 1e-12);
    }

    [Fact]
    public void SplitsTheImportanceOfTwoParametersByTheirEffect()
    {
        // y = 6·a + 3·b: permuting a parameter adds 2·Var(its term), so a's share is about 36/(36 + 9) = 0.8
        var (features, y) = Synthetic(400, (a, b) => (6 * a) + (3 * b), seed: 2);
        var r = ParameterImportance.Compute(["a", "b"], features, y);
        Assert.InRange(r.Parameters[0].Share, 0.7, 0.9);
        Assert.InRange(r.Parameters[1].Share, 0.1, 0.3);
    }

    [Fact]
    public void IsTheSameForTheSameSeed()
    {
        var (features, y) = Synthetic(60, (a, b) => (3 * a) - (2 * b), seed: 3);
        var first = ParameterImportance.Compute(["a", "b"], features, y, new ParameterImportanceOptions { Seed = 4 });
        var second = ParameterImportance.Compute(["a", "b"], features, y, new ParameterImportanceOptions { Seed = 4 });
        Assert.Equal(first.Parameters.ToArray(), second.Parameters.ToArray());
        Assert.Equal(first.OutOfFoldR2, second.OutOfFoldR2);
    }

    [Fact]
    public void ReadsCategoricalAndConditionalParametersFromTrials()
    {
        // kind decides the objective (ema 2, sma 0, none −1); span only exists for ema and sma and does nothing;
        // failed trials are left out
        var space = new SearchSpace(
        [
            new SearchParameter("kind", new CategoricalDistribution([ScalarValue.Of("ema"), ScalarValue.Of("sma"), ScalarValue.Of("none")])),
            new SearchParameter("span", new IntDistribution(5, 50), new ParameterCondition("kind", [ScalarValue.Of("ema"), ScalarValue.Of("sma")])),
        ]);
        var rng = new SplitMix64(6);
        var trials = new List<FrozenTrial>();
        for (var i = 0; i < 150; i++)
        {
            var kind = new[] { "ema", "sma", "none" }[i % 3];
            var p = ImmutableSortedDictionary.CreateBuilder<string, ScalarValue>();
            p["kind"] = ScalarValue.Of(kind);
            if (kind != "none")
                p["span"] = ScalarValue.Of(5 + (int)(rng.Uniform() * 46));
            var value = (kind switch { "ema" => 2.0, "sma" => 0.0, _ => -1.0 }) + (0.2 * NullTrials.Normal(ref rng));
            var state = i % 10 == 9 ? TrialState.Failed : TrialState.Complete;
            trials.Add(new FrozenTrial(i, i, state, p.ToImmutable(), state == TrialState.Complete ? [value] : [],
                ImmutableSortedDictionary<int, double>.Empty, null, null, ImmutableSortedDictionary<string, string>.Empty));
        }
        var r = ParameterImportance.FromTrials(space, trials);
        Assert.Equal(135, r.Trials);
        Assert.Equal("kind", r.Parameters[0].Parameter);
        Assert.True(r.Parameters[0].Share > 0.95, $"kind's share {r.Parameters[0].Share}");
        Assert.True(r.OutOfFoldR2 > 0.9, $"R² {r.OutOfFoldR2}");
    }

    [Fact]
    public void RefusesTooFewTrialsForItsFolds()
    {
        var (features, y) = Synthetic(9, (a, b) => a, seed: 7);
        var e = Assert.Throws<ArgumentException>(() => ParameterImportance.Compute(["a", "b"], features, y));
        Assert.StartsWith("permutation importance over 5 folds needs at least 10 complete trials, found 9", e.Message, StringComparison.Ordinal);
    }

    private static (double[] Features, double[] Objective) Synthetic(int trials, Func<double, double, double> objective, ulong seed)
    {
        var rng = new SplitMix64(seed);
        var features = new double[trials * 2];
        var y = new double[trials];
        for (var i = 0; i < trials; i++)
        {
            var a = rng.Uniform();
            var b = rng.Uniform();
            (features[2 * i], features[(2 * i) + 1]) = (a, b);
            y[i] = objective(a, b) + (0.5 * NullTrials.Normal(ref rng));
        }
        return (features, y);
    }
}
