using Microsoft.Data.Sqlite;
using StrategyLab.Exchanges.Tests.Binance;
using StrategyLab.Runtime.Execution;
using StrategyLab.Runtime.Trading;

namespace StrategyLab.Exchanges.Tests.Trading;

/// <summary>
/// A runner working limit-maker ladders (tests/TradingWorker <c>--limit-maker</c>, a process of its own) killed with SIGKILL at
/// a write in the middle of them and started again: it works both ladders on to the market fallback, one attempt resting at
/// a time and no client id placed twice, and the journal and the venue agree on every order and on the book.
/// </summary>
public sealed class LadderKillTests : IAsyncLifetime
{
    private const string Key = "ladder-kill-tests-api-key-ASDFGH";
    private const string Secret = "ladder-kill-tests-secret-HGFDSA";
    // the worker's one bar opens at 2024-06-01 00:00 UTC and closes at 00:01 at 100 (BTCUSDT) and 50 (ETHUSDT)
    private static readonly DateTimeOffset FirstBar = new(2024, 6, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly string _journal = Path.Combine(Path.GetTempPath(), $"ladder-kill-{Guid.NewGuid():N}.db");
    private FakeBinanceFuturesVenue _venue = null!;

    public async Task InitializeAsync()
    {
        _venue = await FakeBinanceFuturesVenue.StartAsync(Key, Secret);
        _venue.AddSymbol(new FakeSymbol("BTCUSDT", 0.1m, 0.001m, 0.001m, 1000m, 5m));
        _venue.AddSymbol(new FakeSymbol("ETHUSDT", 0.01m, 0.001m, 0.001m, 1000m, 5m));
        _venue.SetBook("BTCUSDT", [(99.9m, 1000m)], [(100.1m, 1000m)]);
        _venue.SetBook("ETHUSDT", [(49.9m, 1000m)], [(50.1m, 1000m)]);
        // the bar's decision stays current while the test runs: its ladders are the bar at hand at the restart
        var origin = DateTimeOffset.UtcNow;
        _venue.Now = () => FirstBar + TimeSpan.FromSeconds(61) + (DateTimeOffset.UtcNow - origin);
    }

    public async Task DisposeAsync()
    {
        await _venue.DisposeAsync();
        SqliteConnection.ClearAllPools();
        foreach (var suffix in new[] { "", "-wal", "-shm" })
            File.Delete(_journal + suffix);
    }

    // the writes in journal order: BTCUSDT's attempt 0 and ETHUSDT's, then each round cancels BTCUSDT's and sends its next
    // attempt, then ETHUSDT's (occurrence 3 of OrderJournaled is BTCUSDT's attempt 1, 7 its market fallback)
    [Theory]
    [InlineData(TradingCheckpoint.QuoteCancelled, 1)]
    [InlineData(TradingCheckpoint.QuoteCancelled, 4)]
    [InlineData(TradingCheckpoint.OrderJournaled, 3)]
    [InlineData(TradingCheckpoint.OrderSent, 3)]
    [InlineData(TradingCheckpoint.AckJournaled, 4)]
    [InlineData(TradingCheckpoint.OrderJournaled, 7)]
    public void ARunnerKilledInTheMiddleOfALadderWorksItOnAndAgreesWithTheVenue(TradingCheckpoint checkpoint, int occurrence)
    {
        using (var first = Start("--kill-at", $"{checkpoint}:{occurrence}"))
        {
            first.WaitFor("at ");
            first.Kill();
        }
        using var second = Start();
        Assert.True(second.WaitForExit() == 0, second.Transcript);
        Assert.Contains("done", second.Output);

        // 30% of 10,000 in BTC at 100 and −20% in ETH at 50: each ladder quoted three times and ended by a market order for what was left
        foreach (var (symbol, side, quantity) in new[] { ("BTCUSDT", OrderSide.Buy, 30m), ("ETHUSDT", OrderSide.Sell, -40m) })
        {
            var attempts = Enumerable.Range(0, 4).Select(k => ClientOrderIds.For(Deployment().Key, FirstBar.ToUnixTimeMilliseconds(), symbol, OrderPurpose.Rebalance, k))
                .Select(id => _venue.Order(id)).ToList();
            Assert.All(attempts, Assert.NotNull);
            Assert.Equal(["CANCELED", "CANCELED", "CANCELED", "FILLED"], attempts.Select(o => o!.Status));
            Assert.Equal(["LIMIT", "LIMIT", "LIMIT", "MARKET"], attempts.Select(o => o!.Type));
            Assert.Equal(quantity, _venue.Position(symbol).Amount);
            Assert.Equal(side == OrderSide.Buy ? "BUY" : "SELL", attempts[3]!.Side);
        }
        AgreesWithTheVenue();
        OneAttemptRestsAtATime();
    }

    // every order the venue holds is journaled with the venue's status and filled quantity, one journaled but never placed is
    // Unsent, and the book of the journal's fills is the venue's positions
    private void AgreesWithTheVenue()
    {
        using var journal = new SqliteJournal(_journal);
        var deployment = journal.Open(Deployment(), fresh: false);
        var orders = journal.Orders(deployment);
        var venueOrders = _venue.Orders();
        Assert.All(venueOrders, o => Assert.Contains(orders, j => j.Request.ClientOrderId == o.ClientOrderId));
        foreach (var order in orders)
        {
            var atVenue = _venue.Order(order.Request.ClientOrderId);
            if (order.Status == JournalOrderStatus.Unsent)
            {
                Assert.Null(atVenue);
                continue;
            }
            Assert.NotNull(atVenue);
            Assert.Equal(atVenue.Status.Replace("_", "", StringComparison.Ordinal), order.Status.ToString(), StringComparer.OrdinalIgnoreCase);
            Assert.Equal(atVenue.Executed, order.FilledQuantity);
        }
        var fills = journal.Fills(deployment);
        foreach (var symbol in new[] { "BTCUSDT", "ETHUSDT" })
            Assert.Equal(_venue.Position(symbol).Amount, fills.Where(f => f.Symbol == symbol).Sum(f => f.Quantity));
    }

    // by the venue's request log: no id placed twice, and an attempt placed only after the one before it was cancelled
    private void OneAttemptRestsAtATime()
    {
        var log = _venue.Host.Requests.Where(r => r.Path == "/fapi/v1/order" && r.Method is "POST" or "DELETE").ToList();
        var placed = log.Where(r => r.Method == "POST").ToList();
        Assert.Equal(placed.Count, placed.Select(r => Field(r, "newClientOrderId")).Distinct().Count());
        foreach (var post in placed)
        {
            var id = Field(post, "newClientOrderId");
            var attempt = id[^1] - '0';
            if (attempt == 0)
                continue;
            var before = id[..^1] + (char)('0' + attempt - 1);
            Assert.Contains(log.Where(r => r.Number < post.Number && r.Method == "DELETE"), r => Field(r, "origClientOrderId") == before);
        }
    }

    private static string Field(Fakes.ReceivedRequest request, string name)
    {
        var text = request.Query.Length > 0 ? request.Query.TrimStart('?') : request.Body;
        return text.Split('&').Select(p => p.Split('=', 2)).Where(p => p[0] == name).Select(p => Uri.UnescapeDataString(p[1])).Single();
    }

    // the worker's deployment (tests/TradingWorker/Program.cs)
    private static Deployment Deployment() => new("crash", "0123abcd", "binance-usdm-testnet");

    private RunnerProcess Start(params string[] options) =>
        new(new Dictionary<string, string> { ["BINANCE_TESTNET_API_KEY"] = Key, ["BINANCE_TESTNET_API_SECRET"] = Secret },
            ["--venue", "binance", "--rest", _venue.Host.RestBase.ToString(), "--stream", _venue.Host.StreamBase.ToString(), "--journal", _journal,
                "--symbols", "BTCUSDT,ETHUSDT", "--limit-maker", "--bars", RunnerProcess.Bars(1), .. options]);
}
