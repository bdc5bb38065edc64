using Microsoft.Data.Sqlite;
using StrategyLab.Exchanges.Tests.Trading;
using StrategyLab.Runtime.Execution;
using StrategyLab.Runtime.Trading;

namespace StrategyLab.Exchanges.Tests.Conformance;

/// <summary>
/// The trading runner (tests/TradingWorker, a process of its own) killed with SIGKILL at each point where it writes
/// state, then started again on its journal: after it has reconciled and traded on, the journal and the venue agree (no
/// order sent twice, none forgotten, the book of the journal's fills is the venue's positions), and the keys appear
/// nowhere. The worker trades <see cref="IVenueScript.Symbol"/> and <see cref="IVenueScript.SecondSymbol"/> on four
/// one-minute bars whose targets change every bar, so every bar sends orders.
/// </summary>
public abstract partial class ExchangeConformance
{
    // the scripted bars open at 2024-06-01 00:00 UTC, one a minute (tests/TradingWorker/Program.cs)
    private static readonly DateTimeOffset FirstBar = new(2024, 6, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly string _journal = Path.Combine(Path.GetTempPath(), $"runner-crash-{Guid.NewGuid():N}.db");

    /// <summary>The venue's name on the command line (<c>--exchange</c>), which the worker takes too.</summary>
    protected abstract string VenueName { get; }

    /// <summary>The environment variables the venue's client reads its keys from, set to the keys the fake accepts.</summary>
    protected abstract IReadOnlyDictionary<string, string> KeyEnvironment { get; }

    [Theory]
    [InlineData(TradingCheckpoint.IntentJournaled, 3)]
    [InlineData(TradingCheckpoint.OrderJournaled, 3)]
    [InlineData(TradingCheckpoint.OrderSent, 3)]
    [InlineData(TradingCheckpoint.AckJournaled, 3)]
    [InlineData(TradingCheckpoint.FillJournaled, 2)]
    [InlineData(TradingCheckpoint.StepJournaled, 2)]
    public async Task ARunnerKilledAtAWriteAndRestartedLeavesTheJournalAndTheVenueInAgreement(TradingCheckpoint checkpoint, int occurrence)
    {
        await BooksForTheRunner();
        string killedAt;
        using (var first = StartRunner("--kill-at", $"{checkpoint}:{occurrence}"))
        {
            killedAt = first.WaitFor("at ").Split(' ')[2];
            first.Kill();
        }

        // the restart happens while bar 1 (decided at 00:01, closing 00:02) is still current: 00:02:30 on the venue's clock
        VenueClockFrom(TimeSpan.FromSeconds(150));
        using var second = StartRunner();
        Assert.True(second.WaitForExit() == 0, second.Transcript);
        Assert.Contains("done", second.Output);

        var venueOrders = Venue.Orders();
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
            Assert.Equal(venue.Status.ToString(), order.Status.ToString());
            Assert.Equal(venue.Executed, order.FilledQuantity);
        }

        // the book of the journal's fills is the venue's positions
        foreach (var symbol in new[] { Venue.Symbol, Venue.SecondSymbol })
        {
            var journaled = fills.Where(f => f.Symbol == symbol).ToList();
            Assert.True(
                Venue.Position(symbol) == journaled.Sum(f => f.Quantity),
                $"{symbol}: venue {Venue.Position(symbol)}, journal fills {string.Join("; ", journaled.Select(f => $"{f.TradeId} {f.ClientOrderId} {f.Quantity}"))}; "
                + $"venue orders {string.Join("; ", venueOrders.Select(o => $"{o.ClientOrderId} {o.Symbol} {o.Status} {o.Executed}"))}; {second.Transcript}");
        }

        Assert.True(orders.Count >= 6, $"only {orders.Count} orders journaled");

        // the order the runner was killed on: looked up, and sent again only when the venue never had it (and at most once)
        if (checkpoint is TradingCheckpoint.OrderSent or TradingCheckpoint.AckJournaled)
        {
            Assert.Single(venueOrders, o => o.ClientOrderId == killedAt);
        }

        if (checkpoint == TradingCheckpoint.OrderJournaled)
        {
            Assert.Single(venueOrders, o => o.ClientOrderId == killedAt);
            Assert.Contains(second.Output, l => l.Contains($"order {killedAt}", StringComparison.Ordinal) && l.Contains("sent now", StringComparison.Ordinal));
        }

        AssertNoKeys(second);
    }

    [Fact]
    public async Task APositionTheDeploymentDidNotOpenHaltsTheRunnerUnlessAdopted()
    {
        await BooksForTheRunner();
        using (var other = StartRunner("--bars", "0"))
        {
            Assert.Equal(0, other.WaitForExit());
        }

        // by hand, with a client that reads the venue's clock as it now runs
        var byHand = await Connect(new ClientSettings());
        var placed = await byHand.Exchange.Place(new OrderRequest("by-hand-1", Venue.Symbol, OrderSide.Buy, OrderType.Market, 0.5m));
        Assert.Equal(OrderStatus.Filled, placed.Status);

        using (var halted = StartRunner())
        {
            Assert.Equal(1, halted.WaitForExit());
            var error = Assert.Single(halted.Output, l => l.StartsWith("error: ", StringComparison.Ordinal));
            Assert.Equal(
                $"error: {Venue.Symbol}: the venue holds 0.5 but this deployment's journal accounts for 0: a position this deployment did not open; "
                + "close it at the venue or start with --adopt to take it over",
                error);
        }

        Assert.Empty(ReadJournal().Orders);

        using var adopted = StartRunner("--adopt");
        Assert.True(adopted.WaitForExit() == 0, adopted.Transcript);
        var (_, fills) = ReadJournal();
        Assert.Contains(fills, f => f.Adopted && f.Symbol == Venue.Symbol && f.Quantity == 0.5m);
        Assert.Equal(Venue.Position(Venue.Symbol), fills.Where(f => f.Symbol == Venue.Symbol).Sum(f => f.Quantity));
        AssertNoKeys(adopted);
    }

    // deep books at 100 and 50, and the venue's clock at the first bar's 30th second, running on
    private async Task BooksForTheRunner()
    {
        await Venue.SetBook(Venue.Symbol, [(99.9m, 1000m)], [(100.1m, 1000m)]);
        await Venue.SetBook(Venue.SecondSymbol, [(49.9m, 1000m)], [(50.1m, 1000m)]);
        VenueClockFrom(TimeSpan.FromSeconds(30));
    }

    // the venue's clock runs from FirstBar + offset now on
    private void VenueClockFrom(TimeSpan offset)
    {
        var origin = DateTimeOffset.UtcNow;
        Venue.UseClock(() => FirstBar + offset + (DateTimeOffset.UtcNow - origin));
    }

    private RunnerProcess StartRunner(params string[] options) =>
        new(KeyEnvironment,
        [
            "--venue", VenueName, "--rest", Venue.Addresses.Http.ToString(), "--stream", Venue.Addresses.Streams.ToString(), "--journal", _journal,
            "--symbols", $"{Venue.Symbol},{Venue.SecondSymbol}", .. options.Contains("--bars") ? Array.Empty<string>() : ["--bars", "4"], .. options,
        ]);

    private (IReadOnlyList<JournalOrder> Orders, IReadOnlyList<JournalFill> Fills) ReadJournal()
    {
        using var journal = new SqliteJournal(_journal);
        var deployment = journal.Open(new Deployment("crash", "0123abcd", Exchange.Venue), fresh: false);
        return (journal.Orders(deployment), journal.Fills(deployment));
    }

    // neither key nor secret in what the runner printed or in the journal's bytes
    private void AssertNoKeys(RunnerProcess runner)
    {
        SqliteConnection.ClearAllPools();
        var text = string.Join("\n", runner.Output.Concat(runner.Errors));
        var bytes = string.Join("\n", new[] { "", "-wal" }.Where(s => File.Exists(_journal + s)).Select(s => Convert.ToHexString(File.ReadAllBytes(_journal + s))));
        foreach (var secret in new[] { Venue.Keys.Key, Venue.Keys.Secret })
        {
            Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
            Assert.DoesNotContain(Convert.ToHexString(System.Text.Encoding.UTF8.GetBytes(secret)), bytes, StringComparison.Ordinal);
        }
    }

    private void DeleteJournal()
    {
        SqliteConnection.ClearAllPools();
        foreach (var suffix in new[] { "", "-wal", "-shm" })
        {
            File.Delete(_journal + suffix);
        }
    }
}
