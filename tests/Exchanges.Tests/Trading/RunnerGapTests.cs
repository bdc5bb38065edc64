using Microsoft.Data.Sqlite;
using StrategyLab.Exchanges.Binance;
using StrategyLab.Exchanges.Binance.Common;
using StrategyLab.Exchanges.Tests.Binance;
using StrategyLab.Runtime.Backtest;
using StrategyLab.Runtime.Data;
using StrategyLab.Runtime.Execution;
using StrategyLab.Runtime.Trading;

namespace StrategyLab.Exchanges.Tests.Trading;

/// <summary>
/// Bars that closed while a runner was down count for the time a position is held, as they would had it stepped them:
/// a restarted runner closes a position that outlived its maximum holding time while it was away.
/// </summary>
public sealed class RunnerGapTests() : TwoSymbolVenueTest("gap")
{
    private static readonly string[] Symbols = TwoSymbolVenue.Symbols;
    private static readonly Interval Minute = new(60_000);

    private readonly long _start = ((DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 60_000) - 30) * 60_000;

    [Theory]
    [InlineData(false, 0)]
    [InlineData(true, 1)]
    public async Task ARestartedRunnerCountsTheBarsItMissedAsHeld(bool missBars, int exits)
    {
        // bars 0 and 1; the position is bought at bar 1's close and booked at bar 2's open
        var history = History(2);
        using (var journal = new SqliteJournal(JournalPath))
        {
            var runner = await Start(journal);
            await runner.StepAsync(history);
            Append(history, 2);
            await runner.StepAsync(history);
        }
        SqliteConnection.ClearAllPools();
        Assert.Equal(19.9m, Venue.Position("BTCUSDT").Amount);

        // started again: either at bar 3 (nothing missed: held bars 2 and 3, two of the three allowed), or at bar 5 with
        // bars 3 and 4 closed while it was down (held bars 2 to 5, four: past the limit, so it is closed)
        using var again = new SqliteJournal(JournalPath);
        var restarted = await Start(again);
        foreach (var bar in missBars ? new[] { 3, 4, 5 } : [3])
            Append(history, bar);
        var step = await restarted.StepAsync(history);

        Assert.Equal(exits, step!.Orders.Count);
        Assert.Equal(exits, again.Orders(restarted.Deployment).Count(o => o.Purpose == OrderPurpose.MaxHold));
        if (exits > 0)
            Assert.Equal(("BTCUSDT", OrderSide.Sell, 19.9m, true), (step.Orders[0].Symbol, step.Orders[0].Side, step.Orders[0].Quantity, step.Orders[0].ReduceOnly));
    }

    // the bars 0 .. count − 1, each opening at 100 (BTC) and 50 (ETH) and closing half a point up
    private BarHistory History(int count)
    {
        var history = new BarHistory("gap", Minute, [.. Symbols], ["open", "high", "low", "close", "volume"]);
        for (var bar = 0; bar < count; bar++)
            Append(history, bar);
        return history;
    }

    private void Append(BarHistory history, int bar) =>
        history.Append(_start + (bar * 60_000L), [[100, 50], [101, 51], [99, 49], [100.5, 50.5], [10, 10]]);

    // 20% of 10,000 long BTC at the first decision only (2,000 / 100.5 = 19.900 in lots of 0.001), held at most three bars
    private async Task<TradingRunner> Start(SqliteJournal journal)
    {
        var options = new LedgerOptions { Exits = new ExitRules { MaxHoldBars = 3 } };
        var deployment = journal.Open(new Deployment("gap", "live", Exchange.Venue), fresh: false);
        return await TradingRunner.StartAsync(new TradingSetup(deployment, Symbols, Minute, options), Exchange, journal, new FirstBarOnly());
    }

    private sealed class FirstBarOnly : ITargetSource
    {
        public TargetDecision Decide(BarHistory history) => new([0.2, 0], Rebalance: history.Count == 2);
    }
}
