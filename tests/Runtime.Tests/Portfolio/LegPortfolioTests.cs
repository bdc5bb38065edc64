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

    [Fact]
    public void ANetTargetSplitsTheGrossBetweenTheSides()
    {
        // gross 1, net 0.5: long (1 + 0.5) / 2 = 0.75 over two assets, short (1 − 0.5) / 2 = 0.25 over two
        var p = new LegPortfolio(6, [new RankRule(true, true, 2, 0), new RankRule(false, false, 2, 0)], grossExposure: 1, netExposure: 0.5);
        Assert.Equal([-0.125, 0, 0.375, 0, -0.125, 0.375], Run(p, [1, 3, 9, 4, 2, 8]));
    }

    [Fact]
    public void WithANetTargetAnEmptySideStaysInCash()
    {
        // only the long leg holds anything (one asset above the threshold): it gets (2 + 0) / 2 = 1
        var p = new LegPortfolio(3, [new ThresholdRule(true, 0, null), new ThresholdRule(false, 1, null)], grossExposure: 2, netExposure: 0);
        Assert.Equal([1.0, 0, 0], Run(p, [1, 0, 0], [0, 0, 0]));
    }

    [Fact]
    public void AMaximumGrossScalesTheLeveragedBookDown()
    {
        // leverage 3 would hold 3 × NAV; the limit of 2 scales every weight by 2/3
        var p = new LegPortfolio(4, [new RankRule(true, true, 1, 0), new RankRule(false, false, 1, 0)], leverage: 3, maxGross: 2);
        var w = Run(p, [1, 5, 3, 2]);
        Assert.Equal([-1.0, 1.0], [w[0], w[1]]);
        Assert.Equal(2.0, w.Sum(Math.Abs), 12);
    }

    [Fact]
    public void ANetTargetBeyondTheGrossIsRefused()
    {
        var error = Assert.Throws<ArgumentException>(() => new LegPortfolio(2, [new RankRule(true, true, 1, 0)], grossExposure: 1, netExposure: 1.5));
        Assert.Contains("net exposure of 1.5", error.Message);
    }
}
