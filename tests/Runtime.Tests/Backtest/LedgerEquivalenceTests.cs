using FsCheck;
using FsCheck.Fluent;
using StrategyLab.Runtime.Backtest;

namespace StrategyLab.Runtime.Tests.Backtest;

// The execution engine must give every result the single-loop simulation gave, bit for bit, on
// every input that simulation accepted: the bundled strategies' published figures depend on it.
public sealed class LedgerEquivalenceTests
{
    [Fact]
    public void TheLedgerEqualsTheSingleLoopSimulationBitForBit()
    {
        Prop.ForAll(Arb.From(Gen.Choose(0, int.MaxValue)), seed =>
        {
            var c = RandomBooks.Case(seed);
            var expected = ReferenceLedger.Run(c.Panel, c.Weights, c.Options, c.Rebalance);
            var actual = LedgerBacktest.Run(c.Panel, c.Weights, c.Options, c.Rebalance);
            AssertSame(expected, actual, seed);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(400));
    }

    /// <summary>Fails with the first difference when two results differ in any bit.</summary>
    internal static void AssertSame(LedgerResult expected, LedgerResult actual, int seed)
    {
        void Series(string name, double[] x, double[] y)
        {
            Assert.True(x.Length == y.Length, $"seed {seed}: {name} has {y.Length} values, expected {x.Length}");
            for (var t = 0; t < x.Length; t++)
                Assert.True(Same(x[t], y[t]), $"seed {seed}: {name}[{t}] is {y[t]:R}, expected {x[t]:R}");
        }
        Series("equity", expected.Equity, actual.Equity);
        Series("returns", expected.Returns, actual.Returns);
        Series("turnover", expected.Turnover, actual.Turnover);
        Series("gross exposure", expected.GrossExposure, actual.GrossExposure);
        Series("net exposure", expected.NetExposure, actual.NetExposure);
        Assert.True(expected.Fills.Count == actual.Fills.Count, $"seed {seed}: {actual.Fills.Count} fills, expected {expected.Fills.Count}");
        for (var k = 0; k < expected.Fills.Count; k++)
        {
            var (x, y) = (expected.Fills[k], actual.Fills[k]);
            Assert.True(x.Bar == y.Bar && x.Asset == y.Asset && Same(x.Quantity, y.Quantity) && Same(x.Price, y.Price) && Same(x.Fee, y.Fee) && x.Maker == y.Maker,
                $"seed {seed}: fill {k} is {y}, expected {x}");
        }
        Assert.True(expected.Trades.Count == actual.Trades.Count, $"seed {seed}: {actual.Trades.Count} trades, expected {expected.Trades.Count}");
        for (var k = 0; k < expected.Trades.Count; k++)
        {
            var (x, y) = (expected.Trades[k], actual.Trades[k]);
            Assert.True(x.Asset == y.Asset && x.EntryBar == y.EntryBar && x.ExitBar == y.ExitBar && x.Side == y.Side && Same(x.Pnl, y.Pnl) && x.Open == y.Open,
                $"seed {seed}: trade {k} is {y}, expected {x}");
        }
        Assert.True(Same(expected.Funding, actual.Funding), $"seed {seed}: funding {actual.Funding:R}, expected {expected.Funding:R}");
        Assert.True(Same(expected.Fees, actual.Fees), $"seed {seed}: fees {actual.Fees:R}, expected {expected.Fees:R}");
        Assert.Equal((expected.UnfilledOrders, expected.SkippedOrders, expected.Delisted, expected.RoundedUpOrders),
            (actual.UnfilledOrders, actual.SkippedOrders, actual.Delisted, actual.RoundedUpOrders));
        Assert.Equal(expected.RiskEvents.Select(e => (e.Bar, e.Rule, e.Message)), actual.RiskEvents.Select(e => (e.Bar, e.Rule, e.Message)));
    }

    private static bool Same(double x, double y) => BitConverter.DoubleToInt64Bits(x) == BitConverter.DoubleToInt64Bits(y);
}
