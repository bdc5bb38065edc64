using FsCheck;
using FsCheck.Fluent;
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
    public void LegsWrittenBottomFirstPickWhatTheySay()
    {
        double[] signal = [1, 3, 9, 4, 2, 8];
        // short the bottom 2 (assets 0 and 4), long the top 2 (assets 2 and 5), in either order of the legs
        var bottomFirst = new LegPortfolio(6, [new RankRule(false, false, 2, 0), new RankRule(true, true, 2, 0)]);
        Assert.Equal([-0.25, 0, 0.25, 0, -0.25, 0.25], Run(bottomFirst, signal));
        // a reversal book: long the bottom 2, short the top 2
        var reversal = new LegPortfolio(6, [new RankRule(true, false, 2, 0), new RankRule(false, true, 2, 0)]);
        Assert.Equal([0.25, 0, -0.25, 0, 0.25, -0.25], Run(reversal, signal));
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

    // rank legs over two signals and quantile legs over a bucket row, with ties, NaN, overlapping and crossing legs
    private static Arbitrary<(double[][] Rows, LegRule[] Legs, bool Proportional, double? Net, double Leverage, double MaxGross)> Books() =>
        (from assets in Gen.Choose(1, 9)
         from bars in Gen.Choose(1, 6)
         from rows in Gen.ArrayOf(Gen.ArrayOf(Gen.Elements(double.NaN, -3.0, -1.5, -0.25, 0.0, 0.5, 2.0, 2.0, 7.0), 3 * assets), bars)
         from legCount in Gen.Choose(1, 4)
         from legs in Gen.ArrayOf(Gen.OneOf(
             from isLong in Gen.Elements(true, false)
             from top in Gen.Elements(true, false)
             from count in Gen.Choose(1, 4)
             from signal in Gen.Choose(0, 1)
             select (LegRule)new RankRule(isLong, top, count, signal),
             from isLong in Gen.Elements(true, false)
             from bucket in Gen.Choose(1, 3)
             select (LegRule)new QuantileRule(isLong, bucket, 2)), legCount)
         from proportional in Gen.Elements(true, false)
         from net in Gen.Elements<double?>(null, 0.0, 0.4, -0.6)
         from leverage in Gen.Elements(1.0, 2.5)
         from maxGross in Gen.Elements(double.PositiveInfinity, 1.5)
         select (rows.Select(r => r.Select((v, i) => i >= 2 * assets ? Math.Abs(Math.Round(v)) % 4 : v).ToArray()).ToArray(), legs, proportional, net, leverage, maxGross))
        .ToArbitrary();

    // the documented rule, written out: members of each leg, sizes of 1 or |signal| summed per asset over the legs,
    // each side's exposure shared in proportion to the sizes, the book scaled by the leverage and down to the maximum gross
    private static double[] Expected(double[] row, int assets, LegRule[] legs, bool proportional, double? net, double leverage, double maxGross)
    {
        var side = new double[assets];
        foreach (var leg in legs)
        {
            var input = row.AsSpan(leg.Input * assets, assets).ToArray();
            var members = leg switch
            {
                RankRule r => Enumerable.Range(0, assets).Where(i => !double.IsNaN(input[i])).OrderBy(i => input[i]).ThenBy(i => i)
                    .Reverse().Take(r.Top ? r.Count : 0)
                    .Concat(Enumerable.Range(0, assets).Where(i => !double.IsNaN(input[i])).OrderBy(i => input[i]).ThenBy(i => i).Take(r.Top ? 0 : r.Count)),
                QuantileRule q => Enumerable.Range(0, assets).Where(i => input[i] == q.Bucket),
                _ => throw new ArgumentException("rank and quantile legs only"),
            };
            foreach (var i in members)
            {
                var size = proportional && leg is RankRule && !double.IsNaN(input[i]) ? Math.Abs(input[i]) : 1.0;
                side[i] += leg.Long ? size : -size;
            }
        }
        var longSum = side.Where(s => s > 0).Sum();
        var shortSum = -side.Where(s => s < 0).Sum();
        var (longExposure, shortExposure) = net is { } n ? ((1 + n) / 2, (1 - n) / 2) : longSum > 0 && shortSum > 0 ? (0.5, 0.5) : (1.0, 1.0);
        var gross = leverage * ((longSum > 0 ? longExposure : 0) + (shortSum > 0 ? shortExposure : 0));
        var scale = gross > maxGross ? leverage * maxGross / gross : leverage;
        return [.. side.Select(s => s > 0 ? scale * longExposure * s / longSum : s < 0 ? scale * shortExposure * s / shortSum : 0)];
    }

    [Fact]
    public void WeightsFollowTheRuleForEqualAndProportionalSizes()
    {
        Prop.ForAll(Books(), c =>
        {
            var (rows, legs, proportional, net, leverage, maxGross) = c;
            var assets = rows[0].Length / 3;
            var portfolio = new LegPortfolio(assets, legs, 1, leverage, proportional, net, maxGross);
            var weights = new double[assets];
            foreach (var row in rows)
            {
                portfolio.Update(row, default, weights);
                var expected = Expected(row, assets, legs, proportional, net, leverage, maxGross);
                for (var i = 0; i < assets; i++)
                {
                    if (Math.Abs(weights[i] - expected[i]) > 1e-12 * Math.Max(1, Math.Abs(expected[i])))
                        return false;
                }
            }
            return true;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(500));
    }
}
