using Microsoft.Data.Sqlite;
using StrategyLab.Exchanges.Tests.Binance;
using StrategyLab.Runtime.Data;
using StrategyLab.Runtime.Execution;
using StrategyLab.Runtime.Trading;

namespace StrategyLab.Exchanges.Tests.Trading;

/// <summary>
/// A runner stopped in the middle of a ladder and started again on its journal takes the ladder up: the quote resting keeps
/// its deadline, and the closer quotes and the fallback follow as they would have, one attempt resting at a time.
/// </summary>
public sealed partial class RequoteTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(0.2);

    [Fact]
    public async Task ARunnerStoppedWithAQuoteRestingTakesItUpWithItsDeadline()
    {
        var history = await LiveBars.HistoryAsync(Connect(), Symbols, [.. Symbols], Minute, 40);
        DateTimeOffset due;
        using (var journal = new SqliteJournal(_journal))
        {
            var runner = await Start(journal, fallback: true, targets: [0.2, 0]);
            await runner.StepAsync(history);
            due = runner.NextRequote!.Value;
        }
        SqliteConnection.ClearAllPools();

        using var again = new SqliteJournal(_journal);
        var restarted = await Start(again, fallback: true, targets: [0.2, 0]);
        // the first quote is due when it was before the stop, not a timeout after the restart
        Assert.Equal(due, restarted.NextRequote);
        Assert.Equal("NEW", _venue.Order(Id(restarted, "BTCUSDT", 0))!.Status);
        await restarted.WorkQuotesAsync();

        // as in the uninterrupted ladder: 19.138 BTC bought at 104.5 × (1 − 0.001 × 0.5^k) down to the 0.1 tick, 104.3955 → 104.3,
        // 104.44775 → 104.4, 104.473875 → 104.4, then the market order taking the ask at 104.6
        var btc = Attempts("BTCUSDT", 4);
        Assert.Equal([104.3m, 104.4m, 104.4m, 0m], btc.Select(o => o.Price));
        Assert.Equal(["CANCELED", "CANCELED", "CANCELED", "FILLED"], btc.Select(o => o.Status));
        Assert.All(btc, o => Assert.Equal(19.138m, o.Quantity));
        Assert.Equal(104.6m, btc[3].AveragePrice);
        // each attempt placed once the one before had rested its timeout, the first from its placement before the stop
        var placed = Placements(restarted, "BTCUSDT", 4);
        Assert.True(placed[1] >= due, $"attempt 1 placed at {placed[1]:O}, before attempt 0 was due at {due:O}");
        for (var k = 2; k < 4; k++)
            Assert.True(placed[k] >= placed[k - 1] + Patience, $"attempt {k} placed at {placed[k]:O}, attempt {k - 1} at {placed[k - 1]:O}");
        AnAttemptIsPlacedOnlyOnceTheOneBeforeItIsCancelled();
        await InAgreement(again, restarted, 19.138m);
    }

    [Fact]
    public async Task AQuotePartlyFilledBeforeTheStopIsRequotedForWhatIsLeftAfterTheRestart()
    {
        var history = await LiveBars.HistoryAsync(Connect(), Symbols, [.. Symbols], Minute, 40);
        DateTimeOffset due;
        using (var journal = new SqliteJournal(_journal))
        {
            var runner = await Start(journal, fallback: true, targets: [0.2, 0]);
            await runner.StepAsync(history);
            due = runner.NextRequote!.Value;
            // 5 of the 19.138 BTC fill at the first quote's 104.3 while the runner is down
            await _venue.TradeAsync("BTCUSDT", 104.3m, 5m);
        }
        SqliteConnection.ClearAllPools();

        using var again = new SqliteJournal(_journal);
        var restarted = await Start(again, fallback: true, targets: [0.2, 0]);
        Assert.Equal(1, restarted.Reconciled.FillsRecovered);
        Assert.Equal(due, restarted.NextRequote);
        await restarted.WorkQuotesAsync();

        // the 14.138 left quoted at 104.4 twice, then sent to market
        var btc = Attempts("BTCUSDT", 4);
        Assert.Equal([(104.3m, 19.138m, 5m, "CANCELED"), (104.4m, 14.138m, 0m, "CANCELED"), (104.4m, 14.138m, 0m, "CANCELED"), (0m, 14.138m, 14.138m, "FILLED")],
            btc.Select(o => (o.Price, o.Quantity, o.Executed, o.Status)));
        AnAttemptIsPlacedOnlyOnceTheOneBeforeItIsCancelled();
        await InAgreement(again, restarted, 19.138m);
    }

    [Fact]
    public async Task AJournalWrittenBeforePlacementsWereKeptIsMigratedAndItsRestingQuoteTakenUpFromTheVenuesTime()
    {
        var history = await LiveBars.HistoryAsync(Connect(), Symbols, [.. Symbols], Minute, 40);
        using (var journal = new SqliteJournal(_journal))
        {
            var runner = await Start(journal, fallback: true, targets: [0.2, 0]);
            await runner.StepAsync(history);
        }
        SqliteConnection.ClearAllPools();
        // the file as a runner that did not journal placements left it: schema version 0, without the two columns
        Sql("ALTER TABLE orders DROP COLUMN placed; ALTER TABLE orders DROP COLUMN requoted; PRAGMA user_version = 0", scalar: false);

        using var again = new SqliteJournal(_journal);
        Assert.Equal(1L, Sql("PRAGMA user_version"));
        var restarted = await Start(again, fallback: true, targets: [0.2, 0]);
        // the journal lacks when the quote was placed: the venue's time of the order stands in for it
        var first = _venue.Order(Id(restarted, "BTCUSDT", 0))!;
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(first.UpdateTime) + Patience, restarted.NextRequote);
        await restarted.WorkQuotesAsync();
        Assert.Equal("FILLED", Attempts("BTCUSDT", 4)[3].Status);
        AnAttemptIsPlacedOnlyOnceTheOneBeforeItIsCancelled();
    }

    [Fact]
    public void AJournalOfALaterSchemaVersionIsRefused()
    {
        using (new SqliteJournal(_journal))
        {
        }
        SqliteConnection.ClearAllPools();
        Sql("PRAGMA user_version = 7", scalar: false);

        var error = Assert.Throws<JournalException>(() => new SqliteJournal(_journal));
        Assert.Equal($"{_journal}: the journal has schema version 7; this program reads up to 1: open it with the strategylab that wrote it", error.Message);
    }

    [Fact]
    public async Task ALadderOfABarNoLongerAtHandIsNotTakenUpAndIsCancelledAtTheNextStep()
    {
        var history = await LiveBars.HistoryAsync(Connect(), Symbols, [.. Symbols], Minute, 40);
        using (var journal = new SqliteJournal(_journal))
        {
            var runner = await Start(journal, fallback: true, targets: [0.2, 0]);
            await runner.StepAsync(history);
        }
        SqliteConnection.ClearAllPools();
        // the runner comes back when bar 6 has closed: bar 4's decision is not the one at hand
        foreach (var t in new[] { 5, 6 })
        {
            foreach (var (symbol, open) in new[] { ("BTCUSDT", 100m + t), ("ETHUSDT", 50m + t) })
                _venue.AddKline(symbol, "1m", BinanceFuturesConformanceTests.Kline(_start + (t * 60_000L), open, open + 1, open - 1, open + 0.5m, 10m));
        }
        _exchange!.Dispose();
        _exchange = null;
        var later = await LiveBars.HistoryAsync(Connect(closed: 6), Symbols, [.. Symbols], Minute, 40);

        using var again = new SqliteJournal(_journal);
        var restarted = await Start(again, fallback: true, targets: [0.2, 0]);
        Assert.Null(restarted.NextRequote);
        await restarted.StepAsync(later);

        Assert.Equal("CANCELED", _venue.Order(Id(restarted, "BTCUSDT", 0))!.Status);
        Assert.Null(_venue.Order(Id(restarted, "BTCUSDT", 1)));
    }

    // the venue's clock (as the runner read it) at each attempt's placement, from the journal
    private List<DateTimeOffset> Placements(TradingRunner runner, string symbol, int count)
    {
        var placed = Enumerable.Range(0, count)
            .Select(k => Sql($"SELECT placed FROM orders WHERE client_order_id = '{Id(runner, symbol, k)}'"))
            .Select(v => DateTimeOffset.FromUnixTimeMilliseconds(Assert.IsType<long>(v)))
            .ToList();
        return placed;
    }

    // once the fills are read: the journal's fills make the venue's position, which is the whole order
    private async Task InAgreement(SqliteJournal journal, TradingRunner runner, decimal bought)
    {
        await runner.SyncAsync();
        Assert.Null(runner.NextRequote);
        Assert.Equal(bought, _venue.Position("BTCUSDT").Amount);
        Assert.Equal(bought, journal.Fills(runner.Deployment).Where(f => f.Symbol == "BTCUSDT").Sum(f => f.Quantity));
        foreach (var order in journal.Orders(runner.Deployment))
        {
            var venue = _venue.Order(order.Request.ClientOrderId)!;
            Assert.Equal((venue.Status, venue.Executed), (order.Status.ToString().ToUpperInvariant() switch { "PARTIALLYFILLED" => "PARTIALLY_FILLED", var s => s }, order.FilledQuantity));
        }
        var placed = _venue.Host.Requests.Where(r => r.Path == "/fapi/v1/order" && r.Method == "POST").Select(r => Field(r, "newClientOrderId")).ToList();
        Assert.Equal(placed.Count, placed.Distinct().Count());
    }

    // the journal's file read or changed beside the journal
    private object? Sql(string sql, bool scalar = true)
    {
        using var connection = new SqliteConnection($"Data Source={_journal};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return scalar ? command.ExecuteScalar() : command.ExecuteNonQuery();
    }
}
