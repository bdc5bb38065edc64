using FsCheck;
using FsCheck.Fluent;
using StrategyLab.Runtime.Backtest;
using StrategyLab.Runtime.Execution;

namespace StrategyLab.Runtime.Tests.Backtest;

// Paper and live trading step the engine one closed bar at a time, knowing nothing of later bars;
// a backtest runs it over the whole panel. Both must give the same book, bit for bit.
public sealed class EngineSteppingTests
{
    [Fact]
    public void SteppingBarByBarEqualsTheWholeRunBitForBit()
    {
        Prop.ForAll(Arb.From(Gen.Choose(0, int.MaxValue)), seed =>
        {
            var c = RandomBooks.Case(seed);
            var options = c.Options with { Exits = RandomBooks.Exits(new Random(seed ^ 0x5eed)), LimitFallbackMarket = seed % 3 == 0 };
            var whole = LedgerBacktest.Run(c.Panel, c.Weights, options, c.Rebalance);
            var alerts = new AlertList();
            var stepped = ByBar(c, options, alerts);
            LedgerEquivalenceTests.AssertSame(whole, stepped, seed);
            Assert.Equal(whole.Exits.Select(e => (e.Bar, e.Rule, e.Message, e.Asset)), stepped.Exits.Select(e => (e.Bar, e.Rule, e.Message, e.Asset)));
            // every event went to the alert sink, in the order it happened
            Assert.Equal(whole.RiskEvents.Concat(whole.Exits).OrderBy(e => e.Bar).Select(e => e.Message).Order(), alerts.Alerts.Select(e => e.Message).Order());
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(300));
    }

    // each bar handed over as copies of its own rows only, as a feed of closed bars would; the venue
    // knows when an asset is delisted, as a real one announces it
    private static LedgerResult ByBar(LedgerCase c, LedgerOptions options, IAlertSink alerts)
    {
        var panel = c.Panel;
        var a = panel.AssetCount;
        var lastBars = panel.Coverage().Select(x => x.Last).ToArray();
        var engine = LedgerBacktest.Start(panel.Symbols, panel.Interval, lastBars, options, bars: 3, alerts);
        double[] Row(string column, int t) => panel.HasColumn(column) ? panel.Column(column).Slice(t * a, a).ToArray() : [];
        for (var t = 0; t < panel.TimeCount; t++)
        {
            var bar = new BarRow(t, panel.Times[t], Row("open", t), Row("high", t), Row("low", t), Row("close", t), Row("volume", t), Row("funding_rate", t));
            engine.Step(bar, c.Weights.AsSpan(t * a, a).ToArray(), c.Rebalance is null || c.Rebalance[t]);
        }
        return engine.Result();
    }
}
