using StrategyLab.Runtime.Backtest;
using StrategyLab.Runtime.Data;
using StrategyLab.Runtime.Execution;

namespace StrategyLab.Runtime.Tests.Backtest;

// every expected number below is worked out by hand in the comment above it
public sealed class LedgerBacktestTests
{
    private const long Day = 86_400_000L;
    private const long Start = 1704067200000L; // 2024-01-01

    private static Panel Bars(double[] open, double[] high, double[] low, double[] close, double[]? volume = null, double[]? funding = null, long step = Day)
    {
        var times = Enumerable.Range(0, open.Length).Select(i => Start + i * step).ToArray();
        var columns = new List<double[]> { open, high, low, close, volume ?? open.Select(_ => 1e9).ToArray() };
        var names = new List<string> { "open", "high", "low", "close", "volume" };
        if (funding is not null)
        {
            columns.Add(funding);
            names.Add("funding_rate");
        }
        return new Panel("test", new Interval(step), ["X"], [.. names], new ArrayColumnStore(times, [.. columns]));
    }

    private static readonly Panel ThreeBars = Bars([100, 102, 104], [101, 106, 105], [99, 101, 102.5], [100, 105, 103]);

    private static void Near(double expected, double actual) => Assert.Equal(expected, actual, 1e-9);

    [Fact]
    public void FillsAtTheNextOpenWithSlippageAndTakerFee()
    {
        var r = LedgerBacktest.Run(ThreeBars, [1, 0, 0], new LedgerOptions { Slippage = 0.001, TakerFee = 0.0005 });
        // bar 1: buy 10000 / 100 = 100 units at 102 × 1.001 = 102.102, fee 5.1051; cash −215.3051; equity at 105: 10284.6949
        // bar 2: sell 100 at 104 × 0.999 = 103.896, fee 5.1948; cash 10169.1001
        Near(10000, r.Equity[0]);
        Near(10284.6949, r.Equity[1]);
        Near(10169.1001, r.Equity[2]);
        Near(10.2999, r.Fees);
        Near(1.02102, r.Turnover[1]);
        var trade = Assert.Single(r.Trades);
        Assert.Equal((1, 2, 1, false), (trade.EntryBar, trade.ExitBar, trade.Side, trade.Open));
        Near(169.1001, trade.Pnl);
    }

    [Fact]
    public void FillsAtTheSignalCloseOnlyWhenAsked()
    {
        var r = LedgerBacktest.Run(ThreeBars, [1, 1, 0], new LedgerOptions { Timing = FillTiming.SignalClose, TakerFee = 0 });
        // bar 0: buy 100 units at the close 100; bar 1: equity 100 × 105 = 10500, rebalance to 100% → still 100 units
        // bar 2: sell 100 at 103 → 10300
        Near(10500, r.Equity[1]);
        Near(10300, r.Equity[2]);
        Assert.Equal(0, r.Fills[0].Bar);
    }

    [Fact]
    public void ALimitOrderFillsOnlyWhenTheBarTradesThroughIt()
    {
        var r = LedgerBacktest.Run(ThreeBars, [1, 1, 0], new LedgerOptions { Orders = OrderKind.LimitMaker, LimitOffset = 0.01, MakerFee = 0.0002 });
        // bar 1: buy limit at 100 × 0.99 = 99; the low 101 does not reach it → no fill
        // bar 2: buy limit at 105 × 0.99 = 103.95 for 10000 / 105 units; the low 102.5 trades through → fills at 103.95, maker fee
        var fill = Assert.Single(r.Fills);
        Assert.Equal(2, fill.Bar);
        Near(103.95, fill.Price);
        Near(10000.0 / 105, fill.Quantity);
        Near(10000.0 / 105 * 103.95 * 0.0002, fill.Fee);
        Assert.True(fill.Maker);
        Assert.Equal(1, r.UnfilledOrders);
    }

    [Fact]
    public void AnUnfilledLimitIsRequotedCloserWithinTheBar()
    {
        var panel = Bars([100, 100.2, 100], [101, 101, 101], [99.5, 99.3, 99.5], [100, 100, 100]);
        var options = new LedgerOptions { Orders = OrderKind.LimitMaker, LimitOffset = 0.01, LimitRetries = 1, LimitShrink = 0.5, MakerFee = 0 };
        // bar 1: the first quote 100 × 0.99 = 99 is not reached (low 99.3); the re-quote at 100 × 0.995 = 99.5 is
        // (the sale decided at bar 1 fills at bar 2 as a re-quote too: 100 × 1.005 = 100.5 < the high 101)
        var fill = LedgerBacktest.Run(panel, [1, 0, 0], options).Fills[0];
        Assert.Equal(1, fill.Bar);
        Near(99.5, fill.Price);
        // a 30-hour timeout leaves no room for a re-quote in a daily bar: nothing fills
        Assert.Empty(LedgerBacktest.Run(panel, [1, 0, 0], options with { LimitTimeoutSeconds = 30 * 3600 }).Fills);
    }

    [Fact]
    public void OrdersBelowTheMinimumNotionalAreSkippedOrRoundedUpWhenTheyAdd()
    {
        // bar 0: 0.3 × 10000 / 100 = 30 units, 3000 below the 5000 minimum
        var skipped = LedgerBacktest.Run(ThreeBars, [0.3, 0.3, 0], new LedgerOptions { MinNotional = 5000, TakerFee = 0 });
        Assert.Empty(skipped.Fills);
        Assert.Equal(2, skipped.SkippedOrders);
        // rounded up: 5000 / 100 = 50 units bought at bar 1's open 102; at bar 1 (equity 10000 + 50 × 3 = 10150)
        // the target 0.3 × 10150 / 105 = 29 units means selling 21 (2205 of notional): it reduces, so it is skipped
        var rounded = LedgerBacktest.Run(ThreeBars, [0.3, 0.3, 0], new LedgerOptions { MinNotional = 5000, RoundUpToMinNotional = true, TakerFee = 0 });
        Near(50, rounded.Fills[0].Quantity);
        Assert.Equal(1, rounded.RoundedUpOrders);
        Assert.Equal(1, rounded.SkippedOrders);
    }

    [Fact]
    public void AVenuesFiltersSizeOrdersInLotsQuoteLimitsOnTicksAndSkipSmallOrders()
    {
        var x = new Instrument("X", "X", "USDT", TickSize: 0.5m, StepSize: 0.3m, MinQuantity: 0m, MinNotional: 5000m, MaxLeverage: 10);
        var options = new LedgerOptions { TakerFee = 0, MakerFee = 0, Instruments = new Dictionary<string, Instrument> { ["X"] = x } };
        // 10000 / 100 = 100 units: 333 lots of 0.3 = 99.9 bought at bar 1's open 102
        Near(99.9, LedgerBacktest.Run(ThreeBars, [1, 0, 0], options).Fills[0].Quantity);
        // limit maker: bar 1's quote at 100 × 0.987 = 98.7 rests at 98.5 on the tick and is not reached (low 101);
        // bar 2's at 105 × 0.987 = 103.635 rests at 103.5 for 10000 / 105 = 95.238… → 317 lots = 95.1, and the low 102.5 reaches it
        var fill = Assert.Single(LedgerBacktest.Run(ThreeBars, [1, 1, 0], options with { Orders = OrderKind.LimitMaker, LimitOffset = 0.013 }).Fills);
        Assert.Equal(2, fill.Bar);
        Near(103.5, fill.Price);
        Near(95.1, fill.Quantity);
        // 30 % of 10000 = 3000, under the instrument's minimum notional of 5000: skipped at bars 0 and 1
        var small = LedgerBacktest.Run(ThreeBars, [0.3, 0.3, 0], options);
        Assert.Empty(small.Fills);
        Assert.Equal(2, small.SkippedOrders);
    }

    [Fact]
    public void AParticipationCapFillsPartOfALargeOrder()
    {
        var panel = Bars([100, 102, 104], [101, 106, 105], [99, 101, 102.5], [100, 105, 103], volume: [1000, 50, 1000]);
        var r = LedgerBacktest.Run(panel, [1, 1, 1], new LedgerOptions { MaxParticipation = 0.5, TakerFee = 0 });
        // bar 1: the order for 100 units meets a cap of 0.5 × 50 = 25 units
        Near(25, r.Fills[0].Quantity);
        Assert.Equal(1, r.UnfilledOrders);
    }

    [Fact]
    public void LongsPayPositiveFunding()
    {
        var panel = Bars([100, 102, 104], [101, 106, 105], [99, 101, 102.5], [100, 105, 103], funding: [double.NaN, double.NaN, 0.001]);
        var r = LedgerBacktest.Run(panel, [1, 1, 1], new LedgerOptions { TakerFee = 0 });
        // bar 1: 100 units bought at 102; rebalanced at its close to 10300 / 105 units, sold down at bar 2's open 104,
        // then funding at that open: 10300 / 105 × 104 × 0.001 paid; cash −200 + (100 − 10300 / 105) × 104 − funding
        var units = 10300.0 / 105;
        Near(units * 104 * 0.001, r.Funding);
        Near(-200 + (100 - units) * 104 - units * 104 * 0.001 + units * 103, r.Equity[2]);
    }

    [Fact]
    public void ADailyLossFlattensAndHaltsUntilTheNextDay()
    {
        // hourly bars: day 1 falls 10 % by its third bar, day 2 opens at bar 24
        var closes = Enumerable.Range(0, 30).Select(i => i < 2 ? 100.0 : i < 24 ? 90.0 : 95.0).ToArray();
        var panel = Bars(closes, closes, closes, closes, step: 3_600_000L);
        var weights = closes.Select(_ => 1.0).ToArray();
        var r = LedgerBacktest.Run(panel, weights, new LedgerOptions { TakerFee = 0, Risk = new RiskLimits(DailyLossFraction: 0.05) });
        var e = Assert.Single(r.RiskEvents);
        Assert.Equal("daily_loss", e.Rule);
        Assert.Equal(2, e.Bar);
        // flattened at bar 3's open, flat for the rest of day 1, long again from bar 25 (decided at bar 24, the new day)
        Assert.All(Enumerable.Range(4, 20), t => Assert.Equal(0, r.GrossExposure[t]));
        Assert.True(r.GrossExposure[25] > 0.99);
    }

    [Fact]
    public void AMaxDrawdownStopsTradingForGood()
    {
        var closes = new double[] { 100, 100, 70, 70, 120, 130 };
        var panel = Bars(closes, closes, closes, closes);
        var r = LedgerBacktest.Run(panel, [1, 1, 1, 1, 1, 1], new LedgerOptions { TakerFee = 0, Risk = new RiskLimits(MaxDrawdownFraction: 0.25) });
        Assert.Equal("max_drawdown", Assert.Single(r.RiskEvents).Rule);
        // 100 units bought at bar 1's open 100; at bar 2's close equity is 7000, 30 % below the peak: sold at bar 3's open 70
        Near(7000, r.Equity[5]);
        Assert.Equal(0, r.GrossExposure[5]);
    }

    [Fact]
    public void ClipsAPositionToTheMaximumShareOfEquity()
    {
        var r = LedgerBacktest.Run(ThreeBars, [3, 3, 3], new LedgerOptions { TakerFee = 0, Risk = new RiskLimits(MaxPositionFraction: 0.1) });
        // 10 % of 10000 at the decision price 100 = 10 units
        Near(10, r.Fills[0].Quantity);
    }

    [Fact]
    public void AnOrderWithoutAFillPriceDoesNotFillAndIsCounted()
    {
        var panel = Bars([100, double.NaN, 104], [101, double.NaN, 105], [99, double.NaN, 102.5], [100, double.NaN, 103]);
        var r = LedgerBacktest.Run(panel, [1, 1, 1], new LedgerOptions { TakerFee = 0 });
        Assert.Equal(1, r.UnfilledOrders);
        Assert.Equal(2, Assert.Single(r.Fills).Bar);
        Near(10000, r.Equity[1]);
    }

    [Fact]
    public void SkipsOrdersBelowTheMinimumNotionalButAlwaysLetsAPositionClose()
    {
        var r = LedgerBacktest.Run(ThreeBars, [0.001, 0.001, 0], new LedgerOptions { TakerFee = 0, MinNotional = 50 });
        // 0.1 % of 10000 = 10 of notional < 50: skipped at bars 0 and 1
        Assert.Empty(r.Fills);
        Assert.Equal(2, r.SkippedOrders);
    }

    [Fact]
    public void APositionWhosePricesEndIsClosedAtTheLastPrice()
    {
        var n = double.NaN;
        var panel = Bars([100, 102, n, n], [101, 106, n, n], [99, 101, n, n], [100, 105, n, n]);
        var r = LedgerBacktest.Run(panel, [1, 1, 1, 1], new LedgerOptions { TakerFee = 0 });
        // bought 100 units at 102 on bar 1; no price after bar 1: sold at the last close 105 on bar 2
        Assert.Equal(1, r.Delisted);
        Near(10300, r.Equity[3]);
        Assert.Equal(0, r.GrossExposure[3]);
        Near(300, Assert.Single(r.Trades).Pnl);
    }

    [Fact]
    public void AFlipClosesOneTradeAndOpensTheNext()
    {
        var r = LedgerBacktest.Run(ThreeBars, [1, -1, -1], new LedgerOptions { TakerFee = 0 });
        // long 100 at 102; at bar 1 equity 10000 + 100 × 3 = 10300 → −10300 / 105 units, filled at 104:
        // the long closes at 104 with P&L 100 × (104 − 102) = 200
        var closed = Assert.Single(r.Trades, t => !t.Open);
        Near(200, closed.Pnl);
        var open = Assert.Single(r.Trades, t => t.Open);
        Assert.Equal(-1, open.Side);
    }
}
