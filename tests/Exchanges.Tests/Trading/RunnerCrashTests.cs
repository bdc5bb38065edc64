using Microsoft.Data.Sqlite;
using StrategyLab.Exchanges.Binance;
using StrategyLab.Exchanges.Binance.Common;
using StrategyLab.Exchanges.Tests.Binance;
using StrategyLab.Runtime.Trading;

namespace StrategyLab.Exchanges.Tests.Trading;

/// <summary>
/// The trading runner killed with SIGKILL at each point where it writes state, against the fake Binance venue, then
/// started again: after it has reconciled and traded on, the journal and the venue agree (no order sent twice, none
/// forgotten, the book of the journal's fills is the venue's positions), and the keys appear nowhere.
/// </summary>
public sealed class RunnerCrashTests : IAsyncLifetime
{
    private const string Key = "crash-tests-api-key-QWERTYUIOP";
    private const string Secret = "crash-tests-secret-ASDFGHJKL";
    // the scripted bars open at 2024-06-01 00:00 UTC, one a minute (tests/TradingWorker/Program.cs)
    private static readonly DateTimeOffset FirstBar = new(2024, 6, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly string _journal = Path.Combine(Path.GetTempPath(), $"runner-crash-{Guid.NewGuid():N}.db");
    private FakeBinanceFuturesVenue _venue = null!;

    public async Task InitializeAsync()
    {
        _venue = await FakeBinanceFuturesVenue.StartAsync(Key, Secret);
        _venue.AddSymbol(new FakeSymbol("BTCUSDT", 0.1m, 0.001m, 0.001m, 1000m, 5m));
        _venue.AddSymbol(new FakeSymbol("ETHUSDT", 0.01m, 0.001m, 0.001m, 1000m, 5m));
        _venue.SetBook("BTCUSDT", [(99.9m, 1000m)], [(100.1m, 1000m)]);
        _venue.SetBook("ETHUSDT", [(49.9m, 1000m)], [(50.1m, 1000m)]);
        VenueClockFrom(TimeSpan.FromSeconds(30));
    }

    public async Task DisposeAsync()
    {
        await _venue.DisposeAsync();
        SqliteConnection.ClearAllPools();
        foreach (var suffix in new[] { "", "-wal", "-shm" })
            File.Delete(_journal + suffix);
    }

    [Theory]
    [InlineData(TradingCheckpoint.IntentJournaled, 3)]
    [InlineData(TradingCheckpoint.OrderJournaled, 3)]
    [InlineData(TradingCheckpoint.OrderSent, 3)]
    [InlineData(TradingCheckpoint.AckJournaled, 3)]
    [InlineData(TradingCheckpoint.FillJournaled, 2)]
    [InlineData(TradingCheckpoint.StepJournaled, 2)]
    public void KilledAtAWriteThenRestartedTheJournalAndTheVenueAgree(TradingCheckpoint checkpoint, int occurrence)
    {
        string killedAt;
        using (var first = Start("--kill-at", $"{checkpoint}:{occurrence}"))
        {
            killedAt = first.WaitFor("at ").Split(' ')[2];
            first.Kill();
        }
        // the restart happens while bar 1 (decided at 00:01, closing 00:02) is still current: 00:02:30 on the venue's clock
        VenueClockFrom(TimeSpan.FromSeconds(150));
        using var second = Start();
        Assert.True(second.WaitForExit() == 0, second.Transcript);
        Assert.Contains("done", second.Output);

        var venueOrders = _venue.Orders();
        var (orders, fills) = ReadJournal();
        // nothing sent twice, nothing the journal does not know
        Assert.Equal(venueOrders.Count, venueOrders.Select(o => o.ClientOrderId).Distinct().Count());
        Assert.All(venueOrders, o => Assert.Contains(orders, j => j.Request.ClientOrderId == o.ClientOrderId));
        // every journaled order is at the venue as the journal says, but those the venue never received
        foreach (var order in orders)
        {
            var atVenue = venueOrders.Where(o => o.ClientOrderId == order.Request.ClientOrderId).ToList();
            if (order.Status == JournalOrderStatus.Unsent)
            {
                Assert.Empty(atVenue);
                continue;
            }
            var venue = Assert.Single(atVenue);
            Assert.Equal(venue.Status, order.Status switch
            {
                JournalOrderStatus.Filled => "FILLED",
                JournalOrderStatus.Canceled => "CANCELED",
                JournalOrderStatus.New => "NEW",
                var other => other.ToString(),
            });
            Assert.Equal(venue.Executed, order.FilledQuantity);
        }
        // the book of the journal's fills is the venue's positions
        foreach (var symbol in new[] { "BTCUSDT", "ETHUSDT" })
            Assert.True(_venue.Position(symbol).Amount == fills.Where(f => f.Symbol == symbol).Sum(f => f.Quantity),
                $"{symbol}: venue {_venue.Position(symbol).Amount}, journal fills {string.Join("; ", fills.Where(f => f.Symbol == symbol).Select(f => $"{f.TradeId} {f.ClientOrderId} {f.Quantity}"))}; venue orders {string.Join("; ", venueOrders.Select(o => $"{o.ClientOrderId} {o.Symbol} {o.Status} {o.Executed}"))}; {second.Transcript}");
        Assert.True(orders.Count >= 6, $"only {orders.Count} orders journaled");
        // the order the runner was killed on: looked up, and sent again only when the venue never had it (and at most once)
        if (checkpoint is TradingCheckpoint.OrderSent or TradingCheckpoint.AckJournaled)
            Assert.Single(venueOrders, o => o.ClientOrderId == killedAt);
        if (checkpoint == TradingCheckpoint.OrderJournaled)
        {
            Assert.Single(venueOrders, o => o.ClientOrderId == killedAt);
            Assert.Contains(second.Output, l => l.Contains($"order {killedAt}", StringComparison.Ordinal) && l.Contains("sent now", StringComparison.Ordinal));
        }
        AssertNoKeys(second);
    }

    [Fact]
    public void APositionTheDeploymentDidNotOpenHaltsTheRunnerUnlessAdopted()
    {
        using (var other = Start("--bars", "0"))
            Assert.Equal(0, other.WaitForExit());
        _venue.SetBook("BTCUSDT", [(99.9m, 1000m)], [(100.1m, 1000m)]);
        PlaceOutsideTheRunner();

        using (var halted = Start())
        {
            Assert.Equal(1, halted.WaitForExit());
            var error = Assert.Single(halted.Output, l => l.StartsWith("error: ", StringComparison.Ordinal));
            Assert.Equal("error: BTCUSDT: the venue holds 0.5 but this deployment's journal accounts for 0: a position this deployment did not open; "
                + "close it at the venue or start with --adopt to take it over", error);
        }
        Assert.Empty(ReadJournal().Orders);

        using var adopted = Start("--adopt");
        Assert.True(adopted.WaitForExit() == 0, adopted.Transcript);
        var (_, fills) = ReadJournal();
        Assert.Contains(fills, f => f.Adopted && f.Symbol == "BTCUSDT" && f.Quantity == 0.5m);
        Assert.Equal(_venue.Position("BTCUSDT").Amount, fills.Where(f => f.Symbol == "BTCUSDT").Sum(f => f.Quantity));
        AssertNoKeys(adopted);
    }

    private void PlaceOutsideTheRunner()
    {
        using var exchange = new BinanceFuturesExchange(new BinanceFuturesOptions
        {
            Environment = new BinanceEnvironment("fake", _venue.Host.RestBase, _venue.Host.StreamBase, IsTestnet: true),
        }, BinanceCredentials.Of(Key, Secret));
        var placed = exchange.Place(new Runtime.Execution.OrderRequest("by-hand-1", "BTCUSDT", Runtime.Execution.OrderSide.Buy,
            Runtime.Execution.OrderType.Market, 0.5m)).AsTask().Result;
        Assert.Equal(Runtime.Execution.OrderStatus.Filled, placed.Status);
    }

    // the venue's clock runs from FirstBar + offset now on
    private void VenueClockFrom(TimeSpan offset)
    {
        var origin = DateTimeOffset.UtcNow;
        _venue.Now = () => FirstBar + offset + (DateTimeOffset.UtcNow - origin);
    }

    private RunnerProcess Start(params string[] options) =>
        new(new Dictionary<string, string> { ["BINANCE_TESTNET_API_KEY"] = Key, ["BINANCE_TESTNET_API_SECRET"] = Secret },
            ["--rest", _venue.Host.RestBase.ToString(), "--stream", _venue.Host.StreamBase.ToString(), "--journal", _journal,
                .. options.Contains("--bars") ? Array.Empty<string>() : ["--bars", "4"], .. options]);

    private (IReadOnlyList<JournalOrder> Orders, IReadOnlyList<JournalFill> Fills) ReadJournal()
    {
        using var journal = new SqliteJournal(_journal);
        var deployment = journal.Open(new Deployment("crash", "0123abcd", "binance-usdm-testnet"), fresh: false);
        return (journal.Orders(deployment), journal.Fills(deployment));
    }

    // neither key nor secret in what the runner printed or in the journal's bytes
    private void AssertNoKeys(RunnerProcess runner)
    {
        SqliteConnection.ClearAllPools();
        var text = string.Join("\n", runner.Output.Concat(runner.Errors));
        var bytes = string.Join("\n", new[] { "", "-wal" }.Where(s => File.Exists(_journal + s)).Select(s => Convert.ToHexString(File.ReadAllBytes(_journal + s))));
        foreach (var secret in new[] { Key, Secret })
        {
            Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
            Assert.DoesNotContain(Convert.ToHexString(System.Text.Encoding.UTF8.GetBytes(secret)), bytes, StringComparison.Ordinal);
        }
    }
}
