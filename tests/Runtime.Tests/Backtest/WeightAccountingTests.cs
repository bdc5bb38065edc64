using FsCheck;
using FsCheck.Fluent;
using StrategyLab.Runtime.Backtest;
using StrategyLab.Runtime.Compute;
using StrategyLab.Runtime.Data.Synthetic;
using StrategyLab.Runtime.Portfolio;

namespace StrategyLab.Runtime.Tests.Backtest;

public sealed class WeightAccountingTests
{
    [Fact]
    public void ChargesCostsOnTheRebalanceBeforeTheBar()
    {
        // one asset, prices 100 → 110 → 99; long from bar 0, flat from bar 1; cost 1% of turnover
        var result = WeightAccounting.Run([1, 0, 0], [100, 110, 99], 1, 0.01, firstPositionBar: 0);
        Assert.Equal([0.09, -0.01], result.Returns, (x, y) => Math.Abs(x - y) < 1e-15);
        Assert.Equal([0.1, 0], result.GrossReturns, (x, y) => Math.Abs(x - y) < 1e-15);
        // turnover 1 at bar 0 (enter) and 1 at bar 1 (exit); bar 2 is the last bar, whose rebalance is not counted
        Assert.Equal(2.0, result.TurnoverTotal);
        Assert.Equal(2, result.PositionChanges);
    }

    [Fact]
    public void AHeldAssetWithoutAPriceIsCountedNotHidden()
    {
        var result = WeightAccounting.Run([1, 1, 1], [100, double.NaN, 120], 1, 0, firstPositionBar: 0);
        Assert.Equal([0.0, 0.2], result.Returns, (x, y) => Math.Abs(x - y) < 1e-15);
        Assert.Equal(1, result.HeldThroughMissingPrices);
    }

    [Fact]
    public void CostsNeverRaiseEquity()
    {
        FsCheck.Fluent.Prop.ForAll(
            FsCheck.Fluent.ArbMap.Default.ArbFor<int[]>(),
            seeds =>
            {
                const int assets = 3;
                var bars = seeds.Length / assets;
                if (bars < 2)
                    return true;
                var prices = seeds.Take(bars * assets).Select(s => 50.0 + Math.Abs(s % 50)).ToArray();
                var weights = seeds.Take(bars * assets).Select(s => (s % 7) / 10.0).ToArray();
                var free = WeightAccounting.Run(weights, prices, assets, 0, 0);
                var costly = WeightAccounting.Run(weights, prices, assets, 0.001, 0);
                return PerformanceMetrics.FromReturns(costly.Returns, 365).LogTotalReturn
                    <= PerformanceMetrics.FromReturns(free.Returns, 365).LogTotalReturn;
            }).Check(FsCheck.Config.QuickThrowOnFailure.WithMaxTest(300));
    }

    // the reference: shared/peers/backtest_numpy.py --quick (numpy 1.24.2), daily cross-sectional momentum,
    // 100 assets × 3000 bars, 20-bar momentum, long top 5 / short bottom 5, 5 bps on turnover
    [Fact]
    public void ReproducesTheNumpyMomentumBacktestToNineDigits()
    {
        const int assets = 100, lookback = 20, k = 5;
        var r = ReferenceData.PanelReturns(minute: false);
        var bars = r.Length / assets;
        var prices = new double[r.Length];
        for (var t = 0; t < bars; t++)
        {
            for (var a = 0; a < assets; a++)
                prices[t * assets + a] = (t == 0 ? 100.0 : prices[(t - 1) * assets + a]) * (1.0 + r[t * assets + a]);
        }
        var momentum = new double[r.Length];
        SimpleReturn.Compute(prices, momentum, assets, lookback);
        var weights = new double[r.Length];
        new TopBottomKPortfolio(assets, k, k).Compute(momentum, default, weights);

        var result = WeightAccounting.Run(weights, prices, assets, 0.0005, firstPositionBar: lookback);
        var m = PerformanceMetrics.FromReturns(result.Returns, 365);
        var gross = PerformanceMetrics.FromReturns(result.GrossReturns, 365);

        static void Close(double expected, double actual) => Assert.True(Math.Abs(actual - expected) <= 1e-9 * Math.Abs(expected), $"expected {expected:R}, got {actual:R}");
        Assert.Equal(2979, m.Bars);
        Close(-0.726853667659632, m.TotalReturn);
        Close(-1.2977476115036082, m.LogTotalReturn);
        Close(-0.7054461389924535, m.Sharpe);
        Close(0.7938993137176241, m.MaxDrawdown);
        Close(1.5793904612398595, m.MaxDrawdownLog);
        Close(1531.4, result.TurnoverTotal);
        Close(0.514065122524337, result.TurnoverTotal / m.Bars);
        Close(-0.4124127340856273, gross.TotalReturn);
        Close(-0.23084898393953354, gross.Sharpe);
    }

    // Bar t's return written out as the class's summary states it, asset by asset, with every asset
    // visited: Σ w[t−1, a] (F[t, a] / F_last[a] − 1) over held assets, F_last the last price that was a
    // number, less the cost rate times Σ|w[t−1] − w[t−2]|; NaN weights are flat.
    private static (double[] Returns, int Missing) ByDefinition(double[] w, double[] price, int assets, double cost, int first)
    {
        var bars = w.Length / assets;
        var (held, last) = (new double[assets], Enumerable.Repeat(double.NaN, assets).ToArray());
        var (returns, missing, lastTurn) = (new List<double>(), 0, 0.0);
        for (var t = 0; t < bars; t++)
        {
            if (t > first)
            {
                var pnl = 0.0;
                for (var a = 0; a < assets; a++)
                {
                    var p = price[t * assets + a];
                    if (held[a] != 0 && (double.IsNaN(p) || double.IsNaN(last[a])))
                        missing++;
                    else if (held[a] != 0)
                        pnl += held[a] * (p / last[a] - 1);
                }
                returns.Add(pnl - cost * lastTurn);
            }
            lastTurn = 0;
            for (var a = 0; a < assets; a++)
            {
                var target = double.IsNaN(w[t * assets + a]) ? 0 : w[t * assets + a];
                lastTurn += Math.Abs(target - held[a]);
                held[a] = target;
                if (!double.IsNaN(price[t * assets + a]))
                    last[a] = price[t * assets + a];
            }
        }
        return ([.. returns], missing);
    }

    // books of 1 to 11 assets (below, at and across the vector width), a few held at a time, with gaps in
    // prices and targets
    [Fact]
    public void ManyAssetBooksAccountAsTheDefinitionSays()
    {
        Prop.ForAll(ArbMap.Default.ArbFor<int[]>(), Gen.Choose(1, 11).ToArbitrary(), (seeds, assets) =>
        {
            var bars = seeds.Length / assets;
            if (bars < 3)
                return true;
            var cells = seeds.Take(bars * assets).ToArray();
            var price = cells.Select(s => s % 11 == 0 ? double.NaN : 50.0 + Math.Abs(s % 40)).ToArray();
            var w = cells.Select(s => s % 13 == 0 ? double.NaN : s % 3 == 0 ? (s % 5) / 10.0 : 0).ToArray();
            var result = WeightAccounting.Run(w, price, assets, 0.001, firstPositionBar: 1);
            var (returns, missing) = ByDefinition(w, price, assets, 0.001, 1);
            return missing == result.HeldThroughMissingPrices && returns.Length == result.Returns.Length
                && returns.Zip(result.Returns).All(x => Math.Abs(x.First - x.Second) <= 1e-15 * (1 + Math.Abs(x.First)));
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(300));
    }

    // a run can switch between whole blocks and single bars (the last bar of a backtest has no next open):
    // the single-asset block kernel must leave the book as the bar-by-bar form would
    [Fact]
    public void SingleAssetBlocksAndSingleBarsMix()
    {
        Prop.ForAll(ArbMap.Default.ArbFor<int[]>(), seeds =>
        {
            var n = seeds.Length;
            if (n < 4)
                return true;
            var price = seeds.Select(s => s % 9 == 0 ? double.NaN : 80.0 + Math.Abs(s % 30)).ToArray();
            var w = seeds.Select(s => s % 4 == 0 ? 0 : (s % 7) / 7.0).ToArray();
            var mixed = new WeightAccountant(n, 1, 0.0005, 1);
            for (var t = 0; t < n;)
            {
                var rows = Math.Min(n - t, 1 + (Math.Abs(seeds[t]) % 9));
                if (rows == 1)
                    mixed.Step(w.AsSpan(t, 1), price.AsSpan(t, 1));
                else
                    mixed.StepRows(w.AsSpan(t, rows), price.AsSpan(t, rows));
                t += rows;
            }
            var byBar = WeightAccounting.Run(w, price, 1, 0.0005, 1);
            var result = mixed.Result();
            return result.Returns.SequenceEqual(byBar.Returns) && result.HeldThroughMissingPrices == byBar.HeldThroughMissingPrices;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(300));
    }
}
