using Microsoft.Data.Sqlite;
using StrategyLab.Exchanges.Binance;
using StrategyLab.Exchanges.Tests.Binance;
using StrategyLab.Runtime.Backtest;
using StrategyLab.Runtime.Data;
using StrategyLab.Runtime.Trading;

namespace StrategyLab.Exchanges.Tests.Trading;

/// <summary>
/// A step's orders are each on disk, pending under their ids, before they leave for the venue: the first written alone, so
/// that it leaves at once, the others together in one transaction before the second leaves.
/// </summary>
public sealed class StepJournalTests() : TwoSymbolVenueTest("step-journal")
{
    private static readonly Interval Minute = new(60_000);
    private static readonly string[] Symbols = [.. TwoSymbolVenue.Symbols, "SOLUSDT"];

    private readonly long _start = ((DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 60_000) - 30) * 60_000;

    [Fact]
    public async Task TheFirstOrderOfAStepLeavesAfterItsOwnWriteAndTheOthersAfterOneWriteTogether()
    {
        Venue.AddSymbol(new FakeSymbol("SOLUSDT", 0.01m, 0.001m, 0.001m, 1000m, 5m));
        Venue.SetBook("SOLUSDT", [(19.99m, 1000m)], [(20.01m, 1000m)]);
        // what another reader of the journal file sees as each order is sent
        var seen = new List<(string Id, int Orders, int Pending)>();
        using var journal = new SqliteJournal(JournalPath);
        var deployment = journal.Open(new Deployment("step-journal", "live", Exchange.Venue), fresh: false);
        var setup = new TradingSetup(deployment, Symbols, Minute, new LedgerOptions())
        {
            Checkpoint = (checkpoint, id) =>
            {
                if (checkpoint != TradingCheckpoint.OrderSent)
                    return;
                using var reader = new SqliteJournal(JournalPath);
                var orders = reader.Orders(deployment);
                seen.Add((id, orders.Count, orders.Count(o => o.Status == JournalOrderStatus.Pending)));
            },
        };
        var runner = await TradingRunner.StartAsync(setup, Exchange, journal, new BothAtFirst());
        var history = new BarHistory("step-journal", Minute, [.. Symbols], ["open", "high", "low", "close", "volume"]);
        for (var bar = 0; bar < 2; bar++)
            history.Append(_start + (bar * 60_000L), [[100, 50, 20], [101, 51, 21], [99, 49, 19], [100.5, 50.5, 20], [10, 10, 10]]);

        var step = await runner.StepAsync(history);

        // BTC, ETH and SOL bought: as the first leaves, it alone is journaled; as the second does, all three are, the first
        // answered and the other two pending; as the third does, two are answered
        Assert.Equal(3, step!.Orders.Count);
        Assert.Equal([(step.Orders[0].ClientOrderId, 1, 1), (step.Orders[1].ClientOrderId, 3, 2), (step.Orders[2].ClientOrderId, 3, 1)], seen);
    }

    private sealed class BothAtFirst : ITargetSource
    {
        public TargetDecision Decide(BarHistory history) => new([0.2, 0.2, 0.2], Rebalance: history.Count == 2);
    }
}
