using FsCheck;
using FsCheck.Fluent;
using StrategyLab.Runtime.Portfolio;

namespace StrategyLab.Runtime.Tests.Portfolio;

public sealed class TopBottomKPortfolioTests
{
    private static double[] Weights(double[] signal, int k, double gross = 1, bool[]? eligible = null)
    {
        var w = new double[signal.Length];
        new TopBottomKPortfolio(signal.Length, k, k, gross).Update(signal, eligible, w);
        return w;
    }

    [Fact]
    public void LongsTheHighestAndShortsTheLowestWithEqualWeights() =>
        Assert.Equal([-0.25, 0, 0.25, 0, -0.25, 0.25], Weights([1, 3, 9, 4, 2, 8], 2));

    [Fact]
    public void BreaksTiesAsAStableAscendingSortDoes()
    {
        // values 5, 5, 5, 5: ascending stable order is 0, 1, 2, 3 — the short leg takes 0, the long leg 3
        Assert.Equal([-0.5, 0, 0, 0.5], Weights([5, 5, 5, 5], 1));
    }

    [Fact]
    public void SkipsMissingAndIneligibleAssets() =>
        Assert.Equal([0, 0, -0.5, 0, 0.5], Weights([9, double.NaN, 1, 0, 5], 1, eligible: [false, true, true, false, true]));

    [Fact]
    public void SplitsTooFewAssetsBetweenTheLegs() =>
        Assert.Equal([0.5, -0.5, 0], Weights([3, 1, double.NaN], 5));

    [Fact]
    public void IsFlatWithNothingEligible() =>
        Assert.Equal([0, 0], Weights([double.NaN, double.NaN], 1));

    [Fact]
    public void BatchEqualsBarByBarOnRandomRows()
    {
        Prop.ForAll(
            ArbMap.Default.ArbFor<double[]>(),
            values =>
            {
                const int assets = 7;
                var rows = values.Length / assets;
                var signal = values.Take(rows * assets).Select(v => double.IsInfinity(v) ? double.NaN : Math.Round(v)).ToArray();
                var batch = new double[signal.Length];
                new TopBottomKPortfolio(assets, 2, 2).Compute(signal, default, batch);
                var incremental = new TopBottomKPortfolio(assets, 2, 2);
                var row = new double[assets];
                for (var t = 0; t < rows; t++)
                {
                    incremental.Update(signal.AsSpan(t * assets, assets), default, row);
                    if (!row.AsSpan().SequenceEqual(batch.AsSpan(t * assets, assets)))
                        return false;
                }
                return true;
            }).Check(Config.QuickThrowOnFailure.WithMaxTest(300));
    }

    [Fact]
    public void PicksWhatAFullSortPicksOnRandomRows()
    {
        Prop.ForAll(
            ArbMap.Default.ArbFor<int[]>(),
            ints =>
            {
                var row = ints.Select(i => (double)(i % 5)).ToArray();
                if (row.Length == 0)
                    return true;
                const int k = 2;
                var order = Enumerable.Range(0, row.Length).OrderBy(i => row[i]).ToArray(); // stable
                var weights = Weights(row, k);
                var n = Math.Min(k, row.Length < 2 * k ? row.Length / 2 : k);
                var expectedShort = order.Take(n).ToHashSet();
                var expectedLong = order.Skip(row.Length - n).ToHashSet();
                return Enumerable.Range(0, row.Length).All(i =>
                    weights[i] > 0 == expectedLong.Contains(i) && weights[i] < 0 == expectedShort.Contains(i));
            }).Check(Config.QuickThrowOnFailure.WithMaxTest(300));
    }
}
