using Microsoft.Data.Sqlite;
using StrategyLab.Exchanges.Binance;
using StrategyLab.Exchanges.Tests.Binance;
using StrategyLab.Runtime.Backtest;
using StrategyLab.Runtime.Data;
using StrategyLab.Runtime.Execution;
using StrategyLab.Runtime.Trading;

namespace StrategyLab.Exchanges.Tests.Trading;

/// <summary>
/// A runner's per-position exits decide as a backtest's do: a stop or take-profit is taken only when the bar reached
/// its level. BTC is bought at the first decision (19.9 at the ask, 100.1), so its stop-loss of 5 % is at 95.095.
/// </summary>
public sealed class RunnerExitTests() : TwoSymbolVenueTest("exit")
{
    private static readonly string[] Symbols = TwoSymbolVenue.Symbols;
    private static readonly Interval Minute = new(60_000);

    private long _start = ((DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 60_000) - 30) * 60_000;

    // BTC's stop-loss of 5 % is at 95.095, its take-profit of 5 % at 100.1 × 1.05 = 105.105
    [Theory]
    [InlineData(OrderPurpose.StopLoss, 96.0, 101.0, 0)]
    [InlineData(OrderPurpose.StopLoss, 95.0, 101.0, 1)]
    [InlineData(OrderPurpose.TakeProfit, 99.0, 105.0, 0)]
    [InlineData(OrderPurpose.TakeProfit, 99.0, 105.2, 1)]
    public async Task AnExitIsTakenOnlyWhenTheBarReachesIt(OrderPurpose exit, double low, double high, int exits)
    {
        using var journal = new SqliteJournal(JournalPath);
        var rules = exit == OrderPurpose.StopLoss ? new ExitRules { StopLoss = 0.05 } : new ExitRules { TakeProfit = 0.05 };
        var runner = await Start(journal, rules);
        var history = History(2);
        await runner.StepAsync(history);
        Assert.Equal(19.9m, Venue.Position("BTCUSDT").Amount);

        // bar 2 trades between `low` and `high`: short of the level, nothing; at or beyond it, the position is closed at market
        Append(history, 2, low, high);
        var step = await runner.StepAsync(history);

        Assert.Equal(exits, step!.Orders.Count(o => o.Symbol == "BTCUSDT" && o.Type == OrderType.Market && o.ReduceOnly && o.Side == OrderSide.Sell));
        Assert.Equal(exits, journal.Orders(runner.Deployment).Count(o => o.Purpose == exit && o.Request.Type == OrderType.Market));
    }

    [Fact]
    public async Task APositionAnExitClosesAtTheCloseIsDecidedAgainAtTheNextBarNotSizedOnTheBookBeforeIt()
    {
        using var journal = new SqliteJournal(JournalPath);
        var runner = await Start(journal, new LedgerOptions { Exits = new ExitRules { StopLoss = 0.05 } }, new Growing());
        var history = History(2);
        await runner.StepAsync(history);

        // bar 2 reaches the stop (no trade at the venue fired it) while the target grows to 30 %: the exit alone goes out,
        // not a buy of the difference sized on the position it closes
        Append(history, 2, low: 95, high: 101);
        var step = await runner.StepAsync(history);

        var exit = Assert.Single(step!.Orders, o => o.Symbol == "BTCUSDT" && o.Type == OrderType.Market);
        Assert.Equal((OrderSide.Sell, 19.9m, true), (exit.Side, exit.Quantity, exit.ReduceOnly));
        Assert.DoesNotContain(step.Orders, o => o.Symbol == "BTCUSDT" && o.Side == OrderSide.Buy);
        Assert.Equal(0m, Venue.Position("BTCUSDT").Amount);
    }

    [Fact]
    public async Task AHeldPositionRestsOnAStopAtTheVenueThatStopsItOut()
    {
        using var journal = new SqliteJournal(JournalPath);
        var runner = await Start(journal, new ExitRules { StopLoss = 0.05 });
        var history = History(2);
        await runner.StepAsync(history);
        var atEntry = Assert.Single(OpenStops());

        // the buy is booked at bar 2's open; at its close the position rests on a new stop at 95.095, rounded up to 95.1
        Append(history, 2, low: 99, high: 101);
        await runner.StepAsync(history);
        var stop = Assert.Single(OpenStops());
        Assert.NotEqual(atEntry.ClientOrderId, stop.ClientOrderId);
        Assert.Equal(("SELL", 19.9m, 95.1m, true), (stop.Side, stop.Quantity, stop.StopPrice, stop.ReduceOnly));

        // bar 3 trades down through it: the venue sells at its bid, 95.0; the runner books that fill and sends nothing more
        Venue.SetBook("BTCUSDT", [(95.0m, 1000m)], [(95.2m, 1000m)]);
        await Venue.TradeAsync("BTCUSDT", 95.1m, 1m);
        Assert.Equal(0m, Venue.Position("BTCUSDT").Amount);
        Append(history, 3, low: 94, high: 100);
        var step = await runner.StepAsync(history);

        Assert.Empty(step!.Orders);
        Assert.Empty(OpenStops());
        var fill = Assert.Single(journal.Fills(runner.Deployment), f => f.Quantity < 0);
        Assert.Equal((-19.9m, 95.0m, stop.ClientOrderId), (fill.Quantity, fill.Price, fill.ClientOrderId));
        Assert.Equal(0m, runner.JournalBook().GetValueOrDefault("BTCUSDT"));
    }

    [Fact]
    public async Task AnEntryRestsOnItsStopAsSoonAsItFillsAndIsStoppedOutInItsFirstBar()
    {
        using var journal = new SqliteJournal(JournalPath);
        var runner = await Start(journal, new ExitRules { StopLoss = 0.05 });
        var history = History(2);
        var entry = await runner.StepAsync(history);

        // the market buy answered its fill, 19.9 at 100.1: its stop at 95.095, up to 95.1, rests at once
        var stop = Assert.Single(OpenStops());
        Assert.Equal(("SELL", 19.9m, 95.1m, true), (stop.Side, stop.Quantity, stop.StopPrice, stop.ReduceOnly));
        Assert.Equal([OrderType.Market, OrderType.StopMarket], entry!.Orders.Select(o => o.Type));

        // bar 2, the entry's first, trades down through it: the venue sells at its bid, 95.0, as a backtest stops the
        // position out in the bar it opens in; the runner books the entry and the stop-out and sends nothing
        Venue.SetBook("BTCUSDT", [(95.0m, 1000m)], [(95.2m, 1000m)]);
        await Venue.TradeAsync("BTCUSDT", 95.1m, 1m);
        Append(history, 2, low: 94, high: 101);
        var step = await runner.StepAsync(history);

        Assert.Empty(step!.Orders);
        Assert.Empty(OpenStops());
        var fill = Assert.Single(journal.Fills(runner.Deployment), f => f.Quantity < 0);
        Assert.Equal((-19.9m, 95.0m, stop.ClientOrderId), (fill.Quantity, fill.Price, fill.ClientOrderId));
        Assert.Equal(0m, Venue.Position("BTCUSDT").Amount);
        Assert.Contains(journal.Events(runner.Deployment), e => e.Kind == "stop_loss");
    }

    [Fact]
    public async Task ATrailingStopAtTheVenueFollowsTheHighs()
    {
        using var journal = new SqliteJournal(JournalPath);
        var runner = await Start(journal, new ExitRules { TrailingStop = 0.02 });
        var history = History(2);
        await runner.StepAsync(history);
        // from the fill at 100.1: 98.098, up to 98.1
        Assert.Equal(98.1m, Assert.Single(OpenStops()).StopPrice);

        // best price 101 (bar 2's high, above the entry at 100.1): 101 × 0.98 = 98.98, rounded up to 99.0
        Append(history, 2, low: 99.5, high: 101);
        await runner.StepAsync(history);
        Assert.Equal(99.0m, Assert.Single(OpenStops()).StopPrice);

        // a new high of 103: 100.94, up to 101.0; the stop of the bar before was cancelled
        Append(history, 3, low: 101.5, high: 103);
        await runner.StepAsync(history);
        Assert.Equal(101.0m, Assert.Single(OpenStops()).StopPrice);
        Assert.Equal(["CANCELED", "CANCELED", "NEW"], Venue.Orders().Select(o => Venue.Order(o.ClientOrderId)!).Where(o => o.Type == "STOP_MARKET").Select(o => o.Status));
    }

    [Fact]
    public async Task ARestartedRunnerLeavesAPositionsStopRestingAndDoesNotWorkItAsAQuote()
    {
        // limit-maker orders: a restarted runner takes up the quotes of the bar at hand, which a stop is not; bar 2 is that bar
        _start = ((DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 60_000) - 2) * 60_000;
        var options = new LedgerOptions
        {
            Exits = new ExitRules { StopLoss = 0.05 },
            Orders = OrderKind.LimitMaker,
            LimitOffset = 0.001,
            LimitRetries = 2,
            LimitTimeoutSeconds = 0.2,
        };
        var history = History(2);
        using (var journal = new SqliteJournal(JournalPath))
        {
            var runner = await Start(journal, options);
            Venue.SetBook("BTCUSDT", [(100.2m, 1000m)], [(100.6m, 1000m)]);
            await runner.StepAsync(history);
            // the post-only quote 0.1 % under the close (100.5 → 100.3995, down to the tick 100.3) fills on the tape
            await Venue.TradeAsync("BTCUSDT", 100.3m, 100m);
            Append(history, 2, low: 99, high: 101);
            await runner.StepAsync(history);
        }
        SqliteConnection.ClearAllPools();
        var stop = Assert.Single(OpenStops());
        Assert.Equal(Venue.Position("BTCUSDT").Amount, stop.Quantity);

        using var again = new SqliteJournal(JournalPath);
        var restarted = await Start(again, options);

        Assert.Null(restarted.NextRequote);
        await restarted.WorkQuotesAsync();
        Assert.Equal(stop.ClientOrderId, Assert.Single(OpenStops()).ClientOrderId);
    }

    private List<FakeOrder> OpenStops() =>
        [.. Venue.Orders().Select(o => Venue.Order(o.ClientOrderId)!).Where(o => o.IsOpen && o.Type == "STOP_MARKET")];

    // bar `bar`: BTC opens at 100 and closes at 100.5 between `low` and `high`; ETH as in every bar
    private void Append(BarHistory history, int bar, double low, double high) =>
        history.Append(_start + (bar * 60_000L), [[100, 50], [high, 51], [low, 49], [100.5, 50.5], [10, 10]]);

    // the bars 0 .. count − 1, each opening at 100 (BTC) and 50 (ETH) and closing half a point up
    private BarHistory History(int count)
    {
        var history = new BarHistory("exits", Minute, [.. Symbols], ["open", "high", "low", "close", "volume"]);
        for (var bar = 0; bar < count; bar++)
            history.Append(_start + (bar * 60_000L), [[100, 50], [101, 51], [99, 49], [100.5, 50.5], [10, 10]]);
        return history;
    }

    // 20 % of 10,000 long BTC at the first decision only (2,000 / 100.5 = 19.900 in lots of 0.001)
    private Task<TradingRunner> Start(SqliteJournal journal, ExitRules exits) => Start(journal, new LedgerOptions { Exits = exits });

    private async Task<TradingRunner> Start(SqliteJournal journal, LedgerOptions options, ITargetSource? targets = null)
    {
        var deployment = journal.Open(new Deployment("exits", "live", Exchange.Venue), fresh: false);
        return await TradingRunner.StartAsync(new TradingSetup(deployment, Symbols, Minute, options), Exchange, journal, targets ?? new FirstBarOnly());
    }

    // 20 % long BTC, then 30 % from the third bar on, rebalanced every bar
    private sealed class Growing : ITargetSource
    {
        public TargetDecision Decide(BarHistory history) => new([history.Count < 3 ? 0.2 : 0.3, 0], Rebalance: true);
    }

    private sealed class FirstBarOnly : ITargetSource
    {
        public TargetDecision Decide(BarHistory history) => new([0.2, 0], Rebalance: history.Count == 2);
    }
}
