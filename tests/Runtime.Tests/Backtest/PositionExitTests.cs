using System.Collections.Immutable;
using StrategyLab.Runtime.Backtest;
using StrategyLab.Runtime.Data;
using StrategyLab.Runtime.Execution;

namespace StrategyLab.Runtime.Tests.Backtest;

// Exits on hand-worked daily bars: 10,000 of capital, no fees, a long of 100 units bought at bar 1's
// open of 100 unless a test says otherwise. Every expected number is worked out in the comment above it.
public sealed class PositionExitTests
{
    private const long Day = 86_400_000L;
    private const long Start = 1704067200000L; // 2024-01-01

    // bars as (open, high, low, close)
    private static Panel Bars(params (double O, double H, double L, double C)[] bars)
    {
        var times = Enumerable.Range(0, bars.Length).Select(i => Start + (i * Day)).ToArray();
        double[] Column(Func<(double O, double H, double L, double C), double> f) => [.. bars.Select(f)];
        return new Panel("test", new Interval(Day), ["X"], ["open", "high", "low", "close", "volume"],
            new ArrayColumnStore(times, [Column(b => b.O), Column(b => b.H), Column(b => b.L), Column(b => b.C), Column(_ => 1e9)]));
    }

    private static LedgerResult Run(Panel panel, double[] weights, ExitRules exits, LedgerOptions? options = null, bool[]? rebalance = null) =>
        LedgerBacktest.Run(panel, weights, (options ?? new LedgerOptions { TakerFee = 0 }) with { Exits = exits }, rebalance);

    private static void Near(double expected, double actual) => Assert.Equal(expected, actual, 1e-9);

    [Fact]
    public void AStopLossTriggersOnTheLowAndFillsAtTheStop()
    {
        // stop at 100 × 0.95 = 95; bar 1's low 94 reaches it: 100 units sold at 95, equity 10,000 − 500
        var r = Run(Bars((100, 100, 100, 100), (100, 101, 94, 96), (96, 97, 95, 96)), [1, 0, 0], new ExitRules { StopLoss = 0.05 });
        Assert.Equal([(1, 100.0, 100.0), (1, -100.0, 95.0)], r.Fills.Select(f => (f.Bar, f.Quantity, f.Price)));
        Near(9_500, r.Equity[1]);
        var exit = Assert.Single(r.Exits);
        Assert.Equal((1, "stop_loss", 0), (exit.Bar, exit.Rule, exit.Asset));
        Assert.Equal("X long closed by its stop-loss at 95 (entry 100, -5.00%)", exit.Message);
        Assert.Empty(r.RiskEvents);
    }

    [Fact]
    public void AStopTheMarketGapsThroughFillsAtTheOpen()
    {
        // bar 1 closes at 101: the target of 1 is 10,100 / 101 = 100 units, held; bar 2 opens at 90, below the stop at 95: sold at 90
        var r = Run(Bars((100, 100, 100, 100), (100, 102, 99, 101), (90, 92, 88, 91)), [1, 1, 0], new ExitRules { StopLoss = 0.05 });
        Assert.Equal((2, -100.0, 90.0), (r.Fills[^1].Bar, r.Fills[^1].Quantity, r.Fills[^1].Price));
        Near(9_000, r.Equity[2]);
    }

    [Fact]
    public void ATakeProfitFillsAtItsLevel()
    {
        // take-profit at 110; bar 1's high 111 reaches it: sold at 110, equity 11,000
        var r = Run(Bars((100, 100, 100, 100), (100, 111, 99, 105)), [1, 0], new ExitRules { TakeProfit = 0.1 });
        Assert.Equal(-100.0, r.Fills[^1].Quantity);
        Near(110, r.Fills[^1].Price);
        Near(11_000, r.Equity[1]);
        Assert.Equal("take_profit", Assert.Single(r.Exits).Rule);
    }

    [Fact]
    public void ABarThatReachesBothTheStopAndTheTargetIsTakenToReachTheStopFirst()
    {
        // high 111 reaches the take-profit at 110 and low 94 the stop at 95: bars do not say which came first, the stop is assumed
        var r = Run(Bars((100, 100, 100, 100), (100, 111, 94, 105)), [1, 0], new ExitRules { StopLoss = 0.05, TakeProfit = 0.1 });
        Assert.Equal(95.0, r.Fills[^1].Price);
        Assert.Equal("stop_loss", Assert.Single(r.Exits).Rule);
    }

    [Fact]
    public void ATrailingStopTrailsTheBestPriceOfTheBarsBefore()
    {
        // bar 1: the trail is 100 × 0.9 = 90 (low 99: held); its high 120 moves the best price after the bar.
        // Bar 1 closes at 118: the target is 11,800 / 118 = 100 units, held. Bar 2: the trail is 120 × 0.9 = 108,
        // above the stop-loss at 80, and its low 107 reaches it: sold at 108, equity 10,000 + 100 × 8
        var r = Run(Bars((100, 100, 100, 100), (100, 120, 99, 118), (117, 118, 107, 110)), [1, 1, 0],
            new ExitRules { StopLoss = 0.2, TrailingStop = 0.1 });
        Assert.Equal((2, 108.0), (r.Fills[^1].Bar, r.Fills[^1].Price));
        Near(10_800, r.Equity[2]);
        Assert.Equal("trailing_stop", Assert.Single(r.Exits).Rule);
    }

    [Fact]
    public void APositionHeldItsMaximumTimeIsClosedAtTheNextOpenEvenBetweenRebalances()
    {
        // targets are traded at bar 0 only; held from bar 1's open, the position has been held 2 bars at bar 2's
        // close: sold at bar 3's open 103, and not bought again (no rebalance after bar 0)
        var panel = Bars((100, 100, 100, 100), (100, 101, 99, 101), (101, 102, 100, 102), (103, 104, 102, 104), (104, 105, 103, 105));
        var r = Run(panel, [1, 1, 1, 1, 1], new ExitRules { MaxHoldBars = 2 }, rebalance: [true, false, false, false, false]);
        Assert.Equal([(1, 100.0, 100.0), (3, -100.0, 103.0)], r.Fills.Select(f => (f.Bar, f.Quantity, f.Price)));
        var exit = Assert.Single(r.Exits);
        Assert.Equal((3, "max_hold"), (exit.Bar, exit.Rule));
    }

    [Fact]
    public void AnExitIsAMarketOrderWhateverThePolicy()
    {
        // a limit buy at 100 × 0.99 = 99 fills in bar 1 (low 98) as maker; held 1 bar at bar 1's close, it is sold
        // at bar 2's open 103 by a market order, as taker, though the policy quotes limits
        var options = new LedgerOptions { TakerFee = 0, MakerFee = 0, Orders = OrderKind.LimitMaker, LimitOffset = 0.01 };
        var r = Run(Bars((100, 100, 100, 100), (100, 101, 98, 100), (103, 104, 102, 103)), [1, 1, 1], new ExitRules { MaxHoldBars = 1 }, options,
            rebalance: [true, false, false]);
        Assert.Equal([(1, 99.0, true), (2, 103.0, false)], r.Fills.Select(f => (f.Bar, f.Price, f.Maker)));
    }

    [Fact]
    public void TheMinimalRoiTableAsksLessTheLongerAPositionIsHeld()
    {
        // 10 % from entry, 1 % after 2 bars held. Bar 1 (held 0 bars at its open) reaches 105 of the 110 asked;
        // bar 2 (held 1) 106; bar 3 (held 2) asks 101 and reaches 103: sold at 101
        var panel = Bars((100, 100, 100, 100), (100, 105, 99, 104), (104, 106, 103, 104), (100.5, 103, 100, 102));
        var roi = ImmutableArray.Create(new RoiStep(0, 0.1), new RoiStep(2, 0.01));
        var r = Run(panel, [1, 1, 1, 0], new ExitRules { Roi = roi });
        Assert.Equal((3, -100.0, 101.0), (r.Fills[^1].Bar, r.Fills[^1].Quantity, r.Fills[^1].Price));
        Assert.Equal("roi", Assert.Single(r.Exits).Rule);
    }

    [Fact]
    public void ACooldownKeepsTheAssetOutAfterAnExit()
    {
        // stopped out at bar 1; without a cooldown the target buys again at bar 2's open; with 3 bars of cooldown,
        // decisions at bars 1, 2 and 3 stay flat and the position comes back at bar 5's open
        var panel = Bars((100, 100, 100, 100), (100, 101, 94, 96), (96, 97, 95, 96), (96, 97, 95, 96), (96, 97, 95, 96), (96, 97, 95, 96));
        double[] always = [1, 1, 1, 1, 1, 1];
        var eager = Run(panel, always, new ExitRules { StopLoss = 0.05 });
        Assert.Equal(2, eager.Fills[2].Bar);
        var patient = Run(panel, always, new ExitRules { StopLoss = 0.05, CooldownBars = 3 });
        Assert.Equal([1, 1, 5], patient.Fills.Select(f => f.Bar));
    }

    [Fact]
    public void AShortsStopIsAboveItsEntry()
    {
        // short 100 units at 100; the stop at 105 is reached by bar 1's high 106: bought back at 105
        var r = Run(Bars((100, 100, 100, 100), (100, 106, 99, 104)), [-1, 0], new ExitRules { StopLoss = 0.05 });
        Assert.Equal((100.0, 105.0), (r.Fills[^1].Quantity, r.Fills[^1].Price));
        Assert.Equal("X short closed by its stop-loss at 105 (entry 100, -5.00%)", Assert.Single(r.Exits).Message);
    }

    [Fact]
    public void APositionBoughtAtTheSignalCloseIsProtectedFromTheNextBar()
    {
        // bought at bar 0's close 100: bar 0's low of 90 came before the purchase and does not stop it; bar 1's low 94 does
        var options = new LedgerOptions { TakerFee = 0, Timing = FillTiming.SignalClose };
        var r = Run(Bars((100, 100, 90, 100), (100, 101, 94, 96)), [1, 0], new ExitRules { StopLoss = 0.05 }, options);
        Assert.Equal([(0, 100.0, 100.0), (1, -100.0, 95.0)], r.Fills.Select(f => (f.Bar, f.Quantity, f.Price)));
    }

    [Fact]
    public void ExitsAreOffUnlessAsked()
    {
        // the same bars without exits: held through the low, sold by the target at bar 2's open 96
        var r = Run(Bars((100, 100, 100, 100), (100, 101, 94, 96), (96, 97, 95, 96)), [1, 0, 0], ExitRules.None);
        Assert.Equal((2, 96.0), (r.Fills[^1].Bar, r.Fills[^1].Price));
        Assert.Empty(r.Exits);
    }
}
