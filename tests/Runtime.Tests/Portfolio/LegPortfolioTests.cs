using StrategyLab.Runtime.Portfolio;

namespace StrategyLab.Runtime.Tests.Portfolio;

public sealed class LegPortfolioTests
{
    private static double[] Run(LegPortfolio p, params double[][] rows)
    {
        var weights = new double[rows[0].Length];
        p.Update(rows.SelectMany(r => r).ToArray(), default, weights);
        return weights;
    }

    [Fact]
    public void RankLegsMatchTheTopBottomPortfolio()
    {
        double[] signal = [1, 3, 9, 4, 2, 8];
        var legs = new LegPortfolio(6, [new RankRule(true, true, 2, 0), new RankRule(false, false, 2, 0)]);
        var expected = new double[6];
        new TopBottomKPortfolio(6, 2, 2).Update(signal, default, expected);
        Assert.Equal(expected, Run(legs, signal));
    }

    [Fact]
    public void AHeldAssetStaysWhileItsRankIsWithinTheBuffer()
    {
        // long the top 1, keep while within the top 3
        var p = new LegPortfolio(4, [new RankRule(true, true, 1, 0, KeepWithin: 3)]);
        Assert.Equal([0, 0, 0, 1.0], Run(p, [1, 2, 3, 4]));
        Assert.Equal([0, 0, 0, 1.0], Run(p, [1, 5, 6, 4])); // asset 3 is third: kept
        Assert.Equal([1.0, 0, 0, 0], Run(p, [7, 5, 6, 4])); // asset 3 is fourth: replaced by the best, asset 0
    }

    [Fact]
    public void AThresholdLegHoldsFromEntryUntilExit()
    {
        var p = new LegPortfolio(1, [new ThresholdRule(true, 0, 1)]);
        Assert.Equal([0.0], Run(p, [0], [0]));
        Assert.Equal([1.0], Run(p, [1], [0]));
        Assert.Equal([1.0], Run(p, [0], [0])); // entry gone, no exit yet: still held
        Assert.Equal([0.0], Run(p, [0], [1]));
    }

    [Fact]
    public void OppositeThresholdLegsGiveALongShortSingleAsset()
    {
        var p = new LegPortfolio(1, [new ThresholdRule(true, 0, null), new ThresholdRule(false, 1, null)]);
        Assert.Equal([1.0], Run(p, [1], [0]));
        Assert.Equal([-1.0], Run(p, [0], [1]));
        Assert.Equal([0.0], Run(p, [double.NaN], [double.NaN]));
    }

    [Fact]
    public void QuantileLegsHoldTheirBuckets()
    {
        var p = new LegPortfolio(4, [new QuantileRule(true, 2, 0), new QuantileRule(false, 1, 0)]);
        Assert.Equal([-0.25, 0.5, -0.25, 0], Run(p, [1, 2, 1, double.NaN]));
    }
}
