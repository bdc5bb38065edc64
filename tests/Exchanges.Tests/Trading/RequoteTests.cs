using System.Threading.Channels;
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
/// The limit-maker policy worked at the venue: each post-only quote rests its timeout, is cancelled, and the next closer
/// quote is sent for what it left, then the market fallback; one attempt rests at a time, each journaled before it is sent.
/// Against the fake Binance venue; the quotes' prices are worked out by hand from the decision price.
/// </summary>
public sealed partial class RequoteTests : IAsyncLifetime
{
    private const string Key = "requote-tests-api-key-QWERTY";
    private const string Secret = "requote-tests-secret-YTREWQ";
    private static readonly string[] Symbols = TwoSymbolVenue.Symbols;
    private static readonly Interval Minute = new(60_000);

    private readonly long _start = ((DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 60_000) - 30) * 60_000;
    private readonly string _journal = Path.Combine(Path.GetTempPath(), $"requote-{Guid.NewGuid():N}.db");
    private FakeBinanceFuturesVenue _venue = null!;
    private BinanceFuturesExchange? _exchange;

    public async Task InitializeAsync()
    {
        // the touch around the last closes (104.5 and 54.5): every quote below rests
        _venue = await TwoSymbolVenue.StartAsync(Key, Secret, (104.4m, 104.6m), (54.49m, 54.51m));
        for (var i = 0; i < 5; i++)
        {
            foreach (var (symbol, open) in new[] { ("BTCUSDT", 100m + i), ("ETHUSDT", 50m + i) })
                _venue.AddKline(symbol, "1m", BinanceFuturesConformanceTests.Kline(_start + (i * 60_000L), open, open + 1, open - 1, open + 0.5m, 10m));
        }
    }

    public async Task DisposeAsync()
    {
        _exchange?.Dispose();
        await _venue.DisposeAsync();
        SqliteConnection.ClearAllPools();
        foreach (var suffix in new[] { "", "-wal", "-shm" })
            File.Delete(_journal + suffix);
    }

    [Fact]
    public async Task AnUnfilledQuoteIsRequotedCloserEachTimeoutThenTheRestGoesToMarket()
    {
        using var journal = new SqliteJournal(_journal);
        var runner = await Start(journal, fallback: true);
        var history = await LiveBars.HistoryAsync(_exchange!, Symbols, [.. Symbols], Minute, 40);

        var step = await runner.StepAsync(history);
        Assert.NotNull(runner.NextRequote);
        await runner.WorkQuotesAsync();

        // 20% of 10,000 at 104.5 is 19.138 BTC bought: quotes at 104.5 × (1 − 0.001 × 0.5^k) rounded down to the 0.1 tick,
        // 104.3955 → 104.3, 104.44775 → 104.4, 104.473875 → 104.4, then a market order taking the ask at 104.6
        Assert.Equal(["BTCUSDT", "ETHUSDT"], step!.Orders.Select(o => o.Symbol));
        var btc = Attempts("BTCUSDT", 4);
        Assert.Equal([104.3m, 104.4m, 104.4m, 0m], btc.Select(o => o.Price));
        Assert.Equal(["CANCELED", "CANCELED", "CANCELED", "FILLED"], btc.Select(o => o.Status));
        Assert.Equal(["LIMIT", "LIMIT", "LIMIT", "MARKET"], btc.Select(o => o.Type));
        Assert.All(btc, o => Assert.Equal(19.138m, o.Quantity));
        // 10% of 10,000 at 54.5 is 18.348 ETH sold: 54.5545 → 54.56, 54.52725 → 54.53, 54.513625 → 54.52 (up to the 0.01 tick)
        var eth = Attempts("ETHUSDT", 4);
        Assert.Equal([54.56m, 54.53m, 54.52m, 0m], eth.Select(o => o.Price));
        Assert.Equal("FILLED", eth[3].Status);
        Assert.Null(runner.NextRequote);
        AnAttemptIsPlacedOnlyOnceTheOneBeforeItIsCancelled();

        await runner.SyncAsync();
        Assert.Equal(19.138m, _venue.Position("BTCUSDT").Amount);
        Assert.Equal(-18.348m, _venue.Position("ETHUSDT").Amount);
        var orders = journal.Orders(runner.Deployment);
        Assert.Equal(8, orders.Count);
        Assert.Equal([JournalOrderStatus.Canceled, JournalOrderStatus.Canceled, JournalOrderStatus.Canceled, JournalOrderStatus.Filled],
            orders.Where(o => o.Request.Symbol == "BTCUSDT").Select(o => o.Status));
        foreach (var symbol in Symbols)
            Assert.Equal(_venue.Position(symbol).Amount, journal.Fills(runner.Deployment).Where(f => f.Symbol == symbol).Sum(f => f.Quantity));
    }

    [Fact]
    public async Task AQuotePartlyFilledIsRequotedForWhatIsLeftAndAFilledOneIsNot()
    {
        using var journal = new SqliteJournal(_journal);
        // BTC only, so that each round works one quote
        var runner = await Start(journal, fallback: false, targets: [0.2, 0]);
        var history = await LiveBars.HistoryAsync(_exchange!, Symbols, [.. Symbols], Minute, 40);

        await runner.StepAsync(history);
        // 5 of the 19.138 BTC fill at the first quote's 104.3
        await _venue.TradeAsync("BTCUSDT", 104.3m, 5m);
        await RequoteWhenDue(runner);
        // the second quote, for 14.138, fills in full before its timeout
        await _venue.TradeAsync("BTCUSDT", 104.4m, 20m);
        await RequoteWhenDue(runner);

        var btc = Attempts("BTCUSDT", 2);
        Assert.Equal([(19.138m, 5m, "CANCELED"), (14.138m, 14.138m, "FILLED")], btc.Select(o => (o.Quantity, o.Executed, o.Status)));
        Assert.Null(runner.NextRequote);
        Assert.Equal(19.138m, _venue.Position("BTCUSDT").Amount);
        AnAttemptIsPlacedOnlyOnceTheOneBeforeItIsCancelled();
    }

    [Fact]
    public async Task TheLoopWorksTheQuotesBetweenBars()
    {
        // bar 5 has closed by the venue's clock; the stream brings it
        Connect(closed: 5);
        using var journal = new SqliteJournal(_journal);
        var runner = await Start(journal, fallback: true);
        var history = await LiveBars.HistoryAsync(_exchange!, Symbols, [.. Symbols], Minute, 40);
        var said = Channel.CreateUnbounded<string>();
        // a guard against a hang, not a limit on how fast anything must be
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var commands = Channel.CreateUnbounded<LiveCommand>();
        var loop = LiveTrading.LoopAsync(new LiveSession(runner, history, Symbols), _exchange!, commands.Reader, line => said.Writer.TryWrite(line));

        // bar 5 closes at 105.5 and 55.5; the touch moves with it
        _venue.SetBook("BTCUSDT", [(105.4m, 1000m)], [(105.6m, 1000m)]);
        _venue.SetBook("ETHUSDT", [(55.49m, 1000m)], [(55.51m, 1000m)]);
        foreach (var (symbol, open) in new[] { ("BTCUSDT", 105m), ("ETHUSDT", 55m) })
        {
            var kline = BinanceFuturesConformanceTests.Kline(_start + (5 * 60_000L), open, open + 1, open - 1, open + 0.5m, 10m);
            _venue.AddKline(symbol, "1m", kline);
            await _venue.PushKlineAsync(symbol, "1m", kline, closed: true);
        }

        // the step's two quotes, then two closer quotes of each and the fallbacks: six re-quotes, in as many lines as the
        // orders' timeouts fell due apart
        Assert.Contains("2 order(s)", await said.Reader.ReadAsync(guard.Token), StringComparison.Ordinal);
        var requoted = 0;
        while (requoted < 6)
        {
            var line = await said.Reader.ReadAsync(guard.Token);
            Assert.StartsWith("re-quoted: ", line, StringComparison.Ordinal);
            requoted += int.Parse(line["re-quoted: ".Length..].Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        }
        Assert.Equal(6, requoted);
        await commands.Writer.WriteAsync(LiveCommand.Quit);
        await loop;

        Assert.Null(runner.NextRequote);
        Assert.Equal("FILLED", Attempts("BTCUSDT", 4)[3].Status);
        Assert.Equal("FILLED", Attempts("ETHUSDT", 4)[3].Status);
        AnAttemptIsPlacedOnlyOnceTheOneBeforeItIsCancelled();
    }

    public static TheoryData<TradingCheckpoint> Kills => [TradingCheckpoint.QuoteCancelled, TradingCheckpoint.OrderJournaled];

    [Theory]
    [MemberData(nameof(Kills))]
    public async Task ARunnerStoppedBetweenTwoQuotesTakesTheLadderUpWithOneRestingAtATime(TradingCheckpoint kill)
    {
        var history = await LiveBars.HistoryAsync(Connect(), Symbols, [.. Symbols], Minute, 40);
        string requote;
        using (var journal = new SqliteJournal(_journal))
        {
            // BTC only, so that one quote is worked
            var runner = await Start(journal, fallback: true, (point, id) =>
            {
                if (point == kill && (point == TradingCheckpoint.QuoteCancelled || id.EndsWith("r1", StringComparison.Ordinal)))
                    throw new InvalidOperationException("killed");
            }, [0.2, 0]);
            await runner.StepAsync(history);
            requote = Id(runner, "BTCUSDT", 1);
            while (runner.NextRequote is { } due)
            {
                await Task.Delay(Wait(runner, due));
                await Assert.ThrowsAsync<InvalidOperationException>(() => runner.RequoteAsync());
            }
        }
        SqliteConnection.ClearAllPools();

        using var again = new SqliteJournal(_journal);
        var restarted = await Start(again, fallback: true, targets: [0.2, 0]);

        // the first quote was cancelled when the runner stopped. The second, journaled before the stop, is sent at the start (its
        // decision is current) and rests its timeout; stopped before it was journaled, it is owed and sent as the quotes are worked
        Assert.Equal("CANCELED", _venue.Order(Id(restarted, "BTCUSDT", 0))!.Status);
        if (kill == TradingCheckpoint.OrderJournaled)
        {
            Assert.Equal(1, restarted.Reconciled.Resent);
            Assert.Equal("NEW", _venue.Order(requote)!.Status);
        }
        else
        {
            Assert.Equal(0, restarted.Reconciled.Resent);
            Assert.Null(_venue.Order(requote));
            Assert.True(restarted.NextRequote <= restarted.Now);
        }
        Assert.Equal(kill == TradingCheckpoint.OrderJournaled ? 1 : 0, _venue.Orders().Count(o => o.Status == "NEW"));
        await restarted.WorkQuotesAsync();

        // the rest of the ladder as if the runner had never stopped: 104.3, 104.4, 104.4 (worked out above), then the market
        var btc = Attempts("BTCUSDT", 4);
        Assert.Equal([104.3m, 104.4m, 104.4m, 0m], btc.Select(o => o.Price));
        Assert.Equal(["CANCELED", "CANCELED", "CANCELED", "FILLED"], btc.Select(o => o.Status));
        Assert.All(btc, o => Assert.Equal(19.138m, o.Quantity));
        AnAttemptIsPlacedOnlyOnceTheOneBeforeItIsCancelled();
        await InAgreement(again, restarted, 19.138m);
    }

    // the client, on a venue whose clock runs from a second after bar `closed` closes (bar 4's decision is current for the minute
    // after its close)
    private BinanceFuturesExchange Connect(int closed = 4)
    {
        var shift = DateTimeOffset.FromUnixTimeMilliseconds(_start + ((closed + 1) * 60_000L) + 1_000) - DateTimeOffset.UtcNow;
        _venue.Now = () => DateTimeOffset.UtcNow + shift;
        _exchange = TwoSymbolVenue.Client(_venue, Key, Secret);
        return _exchange;
    }

    // the venue's orders of a symbol, attempt by attempt (ids end in the attempt's digit)
    private List<FakeOrder> Attempts(string symbol, int count)
    {
        var orders = _venue.Orders().Where(o => o.Symbol == symbol).Select(o => _venue.Order(o.ClientOrderId)!).ToList();
        Assert.Equal(count, orders.Count);
        Assert.Equal(Enumerable.Range(0, count).Select(k => $"r{k}"), orders.Select(o => o.ClientOrderId[^2..]));
        return orders;
    }

    // by the venue's request log: attempt k + 1 of an order is placed only after attempt k's cancel
    private void AnAttemptIsPlacedOnlyOnceTheOneBeforeItIsCancelled()
    {
        var log = _venue.Host.Requests.Where(r => r.Path == "/fapi/v1/order" && r.Method is "POST" or "DELETE").ToList();
        foreach (var placed in log.Where(r => r.Method == "POST"))
        {
            var id = Field(placed, "newClientOrderId");
            var attempt = id[^1] - '0';
            if (attempt == 0)
                continue;
            var before = id[..^1] + (char)('0' + attempt - 1);
            Assert.Contains(log.Where(r => r.Number < placed.Number && r.Method == "DELETE"), r => Field(r, "origClientOrderId") == before);
        }
    }

    private static string Field(Fakes.ReceivedRequest request, string name)
    {
        var text = request.Query.Length > 0 ? request.Query.TrimStart('?') : request.Body;
        return text.Split('&').Select(p => p.Split('=', 2)).Where(p => p[0] == name).Select(p => Uri.UnescapeDataString(p[1])).Single();
    }

    private static async Task RequoteWhenDue(TradingRunner runner)
    {
        if (runner.NextRequote is { } due)
            await Task.Delay(Wait(runner, due));
        await runner.RequoteAsync();
    }

    private static TimeSpan Wait(TradingRunner runner, DateTimeOffset due) =>
        due > runner.Now ? due - runner.Now + TimeSpan.FromMilliseconds(5) : TimeSpan.Zero;

    private string Id(TradingRunner runner, string symbol, int attempt) =>
        ClientOrderIds.For(runner.Deployment.Key, _start + (4 * 60_000L), symbol, OrderPurpose.Rebalance, attempt);

    // post-only quotes 0.1% from the decision price, two re-quotes each with half the offset, 0.2 s apart
    private async Task<TradingRunner> Start(SqliteJournal journal, bool fallback, Action<TradingCheckpoint, string>? checkpoint = null, double[]? targets = null)
    {
        var options = new LedgerOptions
        {
            Orders = OrderKind.LimitMaker,
            LimitOffset = 0.001,
            LimitRetries = 2,
            LimitShrink = 0.5,
            LimitTimeoutSeconds = 0.2,
            LimitFallbackMarket = fallback,
        };
        var exchange = _exchange ?? Connect();
        var deployment = journal.Open(new Deployment("requote", "live", exchange.Venue), fresh: false);
        return await TradingRunner.StartAsync(new TradingSetup(deployment, Symbols, Minute, options) { Checkpoint = checkpoint }, exchange, journal, new Constant(targets ?? [0.2, -0.1]));
    }

    // the same weights every bar (20% long the first asset, 10% short the second unless told otherwise)
    private sealed class Constant(double[] weights) : ITargetSource
    {
        public TargetDecision Decide(BarHistory history) => new([.. weights], Rebalance: true);
    }
}
