using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using StrategyLab.Exchanges.Binance;
using StrategyLab.Exchanges.Binance.Common;
using StrategyLab.Exchanges.Tests.Binance;
using StrategyLab.Runtime.Backtest;
using StrategyLab.Runtime.Data;
using StrategyLab.Runtime.Trading;

namespace StrategyLab.Exchanges.Tests.Trading;

/// <summary>
/// Live market data into the runner against the fake Binance venue: the history over REST and each bar from the kline
/// streams as a row of every asset, a dry run that sends nothing, and the loop that steps each bar as it closes.
/// </summary>
public sealed class LiveTradingTests : IAsyncLifetime
{
    private const string Key = "live-tests-api-key-ZXCVBNM";
    private const string Secret = "live-tests-secret-MNBVCXZ";
    private static readonly string[] Symbols = ["BTCUSDT", "ETHUSDT"];
    private static readonly Interval Minute = new(60_000);

    // a guard against a hang, not a limit on how fast anything must be
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    // bars of the test open from half an hour ago, one a minute
    private readonly long _start = ((DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 60_000) - 30) * 60_000;
    private readonly string _journal = Path.Combine(Path.GetTempPath(), $"live-{Guid.NewGuid():N}.db");
    private FakeBinanceFuturesVenue _venue = null!;
    private BinanceFuturesExchange _exchange = null!;

    public async Task InitializeAsync()
    {
        _venue = await TwoSymbolVenue.StartAsync(Key, Secret, (99.9m, 100.1m), (49.9m, 50.1m));
        _exchange = TwoSymbolVenue.Client(_venue, Key, Secret, o => o with
        {
            StreamReconnectBaseDelay = TimeSpan.FromMilliseconds(5),
            StreamReconnectMaxDelay = TimeSpan.FromMilliseconds(20),
        });
        for (var i = 0; i < 5; i++)
        {
            Kline("BTCUSDT", i, 100 + i);
            if (i != 2)
                Kline("ETHUSDT", i, 50 + i);
        }
    }

    public async Task DisposeAsync()
    {
        _exchange.Dispose();
        await _venue.DisposeAsync();
        SqliteConnection.ClearAllPools();
        foreach (var suffix in new[] { "", "-wal", "-shm" })
            File.Delete(_journal + suffix);
    }

    [Fact]
    public async Task TheHistoryAndTheStreamsGiveEachBarOnceAsARowOfEveryAsset()
    {
        var history = await LiveBars.HistoryAsync(_exchange, Symbols, ["BTC", "ETH"], Minute, 40);

        Assert.Equal(Enumerable.Range(0, 5).Select(Time), Enumerable.Range(0, history.Count).Select(history.Time));
        using (var panel = history.ToPanel())
        {
            Assert.Equal([100.5, 101.5, 102.5, 103.5, 104.5], panel.Series("close", 0));
            // ETH did not trade in bar 2
            Assert.Equal([50.5, 51.5, double.NaN, 53.5, 54.5], panel.Series("close", 1));
        }

        using var cancel = new CancellationTokenSource();
        await using var rows = LiveBars.StreamAsync(_exchange, Symbols, Minute, Time(5), cancel.Token).GetAsyncEnumerator(cancel.Token);
        var next = rows.MoveNextAsync().AsTask();
        await Close("BTCUSDT", 5, 105);
        // ETH's bar 5 never comes (no trade): its bar 6 completes row 5 with NaN, and row 6 waits for BTC's bar 6
        await Close("ETHUSDT", 6, 56);
        Assert.True(await Within(next));
        Assert.Equal(Time(5), rows.Current.Time);
        Assert.Equal([105.5, double.NaN], rows.Current.Columns[3]);
        next = rows.MoveNextAsync().AsTask();
        await Close("BTCUSDT", 6, 106);
        Assert.True(await Within(next));
        Assert.Equal(Time(6), rows.Current.Time);
        Assert.Equal([106.5, 56.5], rows.Current.Columns[3]);
        await cancel.CancelAsync();
    }

    [Fact]
    public async Task ADryRunDecidesItsOrdersAndSendsNone()
    {
        using var journal = new SqliteJournal(_journal);
        var dry = new DryRunExchange(_exchange);
        var runner = await Start(dry, journal);
        var history = await LiveBars.HistoryAsync(_exchange, Symbols, [.. Symbols], Minute, 40);

        var step = await runner.StepAsync(history);

        Assert.NotNull(step);
        // 20% of 10,000 at 104.5 is 19.138 BTC; -10% at 54.5 is 18.348 ETH sold (in lots of 0.001, towards zero)
        Assert.Equal([("BTCUSDT", 19.138m), ("ETHUSDT", -18.348m)],
            step.Orders.Select(o => (o.Symbol, o.Side == Runtime.Execution.OrderSide.Buy ? o.Quantity : -o.Quantity)));
        Assert.Empty(_venue.Host.RequestsTo("POST", "/fapi/v1/order"));
        Assert.Equal(2, dry.Unsent.Count);
    }

    [Fact]
    public async Task TheLoopStepsEachBarAsItClosesAndQuitsKeepingThePositions()
    {
        using var journal = new SqliteJournal(_journal);
        var runner = await Start(_exchange, journal);
        var history = await LiveBars.HistoryAsync(_exchange, Symbols, [.. Symbols], Minute, 40);
        var said = new List<string>();
        var stepped = new SemaphoreSlim(0);
        var commands = Channel.CreateUnbounded<LiveCommand>();
        using var cancel = new CancellationTokenSource();
        var loop = LiveTrading.LoopAsync(new LiveSession(runner, history, Symbols), _exchange, commands.Reader, line =>
        {
            lock (said)
                said.Add(line);
            stepped.Release();
        }, cancel.Token);

        await Close("BTCUSDT", 5, 105);
        await Close("ETHUSDT", 5, 55);
        Assert.True(await stepped.WaitAsync(Patience), "the loop never stepped");
        await commands.Writer.WriteAsync(LiveCommand.Status);
        Assert.True(await stepped.WaitAsync(Patience), "the loop never answered");
        await commands.Writer.WriteAsync(LiveCommand.Quit);
        await Within(loop);

        lock (said)
        {
            Assert.StartsWith("bar ", said[0], StringComparison.Ordinal);
            Assert.Contains("2 order(s)", said[0], StringComparison.Ordinal);
            Assert.StartsWith("crash", said[1], StringComparison.Ordinal);
            Assert.Equal("quitting; positions are kept", said[2]);
        }
        Assert.Equal(2, _venue.Host.RequestsTo("POST", "/fapi/v1/order").Count);
        // at bar 5's close: 20% of 10,000 at 105.5 is 18.957 BTC bought, 10% at 55.5 is 18.018 ETH sold (towards zero in lots of 0.001)
        Assert.Equal(18.957m, _venue.Position("BTCUSDT").Amount);
        Assert.Equal(-18.018m, _venue.Position("ETHUSDT").Amount);
    }

    [Fact]
    public async Task AnOrderOfUnknownFateIsLookedUpAtTheNextBarAndNeverSentTwice()
    {
        using var journal = new SqliteJournal(_journal);
        var runner = await Start(_exchange, journal);
        var history = await LiveBars.HistoryAsync(_exchange, Symbols, [.. Symbols], Minute, 40);
        // the BTC order is placed but its answer is lost, and so is every lookup of it (the first try and four retries)
        _venue.Host.Fail("/fapi/v1/order", Fakes.InjectedFault.DropConnection(afterProcessing: true));
        _venue.Host.Fail("/fapi/v1/order", Fakes.InjectedFault.DropConnection(), times: 5);

        var first = await runner.StepAsync(history);

        Assert.NotNull(first);
        var btc = first.Orders.Single(o => o.Symbol == "BTCUSDT").ClientOrderId;
        Assert.Equal(JournalOrderStatus.Pending, Order(journal, runner, btc).Status);
        Assert.Equal("FILLED", _venue.Order(btc)!.Status);

        history.Append(Time(5), [[105, 55], [106, 56], [104, 54], [105.5, 55.5], [10, 10]]);
        await runner.StepAsync(history);
        await runner.SyncAsync();

        // looked up, not sent again; its fill journaled; the journal's book is the venue's
        Assert.Single(_venue.Orders(), o => o.ClientOrderId == btc);
        Assert.Equal(JournalOrderStatus.Filled, Order(journal, runner, btc).Status);
        Assert.Contains(journal.Fills(runner.Deployment), f => f.ClientOrderId == btc);
        var venueOrders = _venue.Orders();
        Assert.Equal(venueOrders.Count, venueOrders.Select(o => o.ClientOrderId).Distinct().Count());
        foreach (var symbol in Symbols)
            Assert.Equal(_venue.Position(symbol).Amount, journal.Fills(runner.Deployment).Where(f => f.Symbol == symbol).Sum(f => f.Quantity));
    }

    public static TheoryData<string> RefusedPlacements => ["server error", "too many requests", "margin"];

    [Theory]
    [MemberData(nameof(RefusedPlacements))]
    public async Task AnOrderTheVenueRefusesOrFailsIsJournaledWithWhyAndDecidedAgainAtTheNextBar(string fault)
    {
        using var journal = new SqliteJournal(_journal);
        var runner = await Start(_exchange, journal);
        var history = await LiveBars.HistoryAsync(_exchange, Symbols, [.. Symbols], Minute, 40);
        _venue.Host.Fail("/fapi/v1/order", fault switch
        {
            "server error" => Fakes.InjectedFault.ServerError(),
            "too many requests" => Fakes.InjectedFault.TooManyRequests(retryAfterSeconds: 1),
            _ => Fakes.InjectedFault.Error(400, -2019, "Margin is insufficient."),
        });

        var first = await runner.StepAsync(history);

        var btc = first!.Orders.Single(o => o.Symbol == "BTCUSDT").ClientOrderId;
        var refused = Order(journal, runner, btc);
        Assert.Equal(JournalOrderStatus.Rejected, refused.Status);
        Assert.False(string.IsNullOrEmpty(refused.Reason));
        Assert.Null(_venue.Order(btc));

        history.Append(Time(5), [[105, 55], [106, 56], [104, 54], [105.5, 55.5], [10, 10]]);
        var second = await runner.StepAsync(history);
        await runner.SyncAsync();

        // the BTC target is traded at the next bar under that bar's id; journal and venue agree
        Assert.Contains(second!.Orders, o => o.Symbol == "BTCUSDT");
        foreach (var symbol in Symbols)
            Assert.Equal(_venue.Position(symbol).Amount, journal.Fills(runner.Deployment).Where(f => f.Symbol == symbol).Sum(f => f.Quantity));
    }

    private static JournalOrder Order(SqliteJournal journal, TradingRunner runner, string id) =>
        journal.Orders(runner.Deployment).Single(o => o.Request.ClientOrderId == id);

    private async Task<TradingRunner> Start(Runtime.Execution.IExchange exchange, SqliteJournal journal)
    {
        var deployment = journal.Open(new Deployment("crash", "live", exchange.Venue), fresh: false);
        return await TradingRunner.StartAsync(new TradingSetup(deployment, Symbols, Minute, new LedgerOptions()), exchange, journal, new Constant());
    }

    private long Time(int i) => _start + (i * 60_000L);

    private void Kline(string symbol, int i, decimal open) =>
        _venue.AddKline(symbol, "1m", BinanceFuturesConformanceTests.Kline(Time(i), open, open + 1, open - 1, open + 0.5m, 10m));

    private async Task Close(string symbol, int i, decimal open)
    {
        Kline(symbol, i, open);
        await _venue.PushKlineAsync(symbol, "1m", BinanceFuturesConformanceTests.Kline(Time(i), open, open + 1, open - 1, open + 0.5m, 10m), closed: true);
    }

    private static async Task<T> Within<T>(Task<T> task)
    {
        Assert.Same(task, await Task.WhenAny(task, Task.Delay(Patience)));
        return await task;
    }

    private static async Task Within(Task task)
    {
        Assert.Same(task, await Task.WhenAny(task, Task.Delay(Patience)));
        await task;
    }

    // 20% long the first asset, 10% short the second, every bar
    private sealed class Constant : ITargetSource
    {
        public TargetDecision Decide(BarHistory history) => new([0.2, -0.1], Rebalance: true);
    }
}
