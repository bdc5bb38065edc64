using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StrategyLab.Runtime.Data;
using StrategyLab.Runtime.Execution;

namespace StrategyLab.Exchanges.Tests.Conformance;

/// <summary>How the suite wants a venue's client built.</summary>
public sealed record ClientSettings
{
    /// <summary>The client's clock for delays and timers; the fault tests pass a virtual one and read the waits off it.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    public ILogger Logger { get; init; } = NullLogger.Instance;

    /// <summary>How long a request may go unanswered; long enough that a loaded machine never times out one the venue answers.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Retries of a read (orders are never resent, but where the venue refused them before acting).</summary>
    public int MaxRetries { get; init; } = 4;

    /// <summary>An API key other than the venue's, to be refused; null for the venue's own.</summary>
    public string? Key { get; init; }

    /// <summary>A secret other than the venue's, to be refused; null for the venue's own.</summary>
    public string? Secret { get; init; }
}

/// <summary>A venue's client as the suite drives it: the account and the feed, and what disposes them.</summary>
public sealed class ClientUnderTest(IExchange exchange, IMarketFeed feed, IDisposable owner) : IDisposable
{
    public IExchange Exchange => exchange;

    public IMarketFeed Feed => feed;

    public static ClientUnderTest Of<T>(T client)
        where T : IExchange, IMarketFeed, IDisposable => new(client, client, client);

    public void Dispose() => owner.Dispose();
}

/// <summary>
/// The behaviour every <see cref="IExchange"/> of a real venue must show against its fake, written once: filters,
/// post-only, market and limit matching with partial fills, reduce-only stops, cancels, look-ups, the account and its
/// history (here); a wrong signature and every fault of the network (ExchangeConformance.Faults.cs); dropped and expired
/// streams (ExchangeConformance.Streams.cs); a runner killed at each write and restarted (ExchangeConformance.Restarts.cs).
/// A venue's test class derives from it and says how to start its fake and build its client. Expected values are
/// worked out by hand from the script of each test.
/// </summary>
public abstract partial class ExchangeConformance : IAsyncLifetime
{
    private readonly List<ClientUnderTest> _clients = [];

    /// <summary>The client of the trading tests: the machine's clock, the venue's keys.</summary>
    protected IExchange Exchange { get; private set; } = null!;

    protected IVenueScript Venue { get; private set; } = null!;

    private string Symbol => Venue.Symbol;

    /// <summary>Starts the fake venue, listing <see cref="IVenueScript.Symbol"/> and <see cref="IVenueScript.SecondSymbol"/>.</summary>
    protected abstract Task<IVenueScript> StartVenueAsync();

    /// <summary>Stops the fake venue.</summary>
    protected abstract Task StopVenueAsync();

    /// <summary>
    /// A client of the venue started, built as <paramref name="settings"/> say, ready to trade (set up as the venue
    /// needs it, e.g. in one-way mode, when its keys are the venue's); its streams reconnect within milliseconds.
    /// </summary>
    protected abstract Task<ClientUnderTest> ConnectAsync(ClientSettings settings);

    public async Task InitializeAsync()
    {
        Venue = await StartVenueAsync();
        Exchange = (await Connect(new ClientSettings())).Exchange;
        await Venue.SetBook(Symbol, [(99.9m, 1m), (99.8m, 2m)], [(100.1m, 1m), (100.2m, 2m)]);
    }

    public async Task DisposeAsync()
    {
        foreach (var client in _clients)
        {
            client.Dispose();
        }

        await StopVenueAsync();
        DeleteJournal();
    }

    /// <summary>A client the suite disposes at the end of the test.</summary>
    protected async Task<ClientUnderTest> Connect(ClientSettings settings)
    {
        var client = await ConnectAsync(settings);
        _clients.Add(client);
        return client;
    }

    private OrderRequest Limit(string id, OrderSide side, decimal quantity, decimal price, TimeInForce tif = TimeInForce.PostOnly) =>
        new(id, Symbol, side, OrderType.Limit, quantity, price, TimeInForce: tif);

    [Fact]
    public async Task InstrumentsCarryTheVenueFilters()
    {
        var instrument = Assert.Single(await Exchange.Instruments(), i => i.Symbol == Symbol);

        Assert.Equal((0.1m, 0.001m, 0.001m, Venue.MinNotional), (instrument.TickSize, instrument.StepSize, instrument.MinQuantity, instrument.MinNotional));
        Assert.Equal(Venue.MarginAsset, instrument.QuoteAsset);
    }

    [Fact]
    public async Task APostOnlyLimitBelowTheAskRestsAndIsListedOpen()
    {
        var placed = await Exchange.Place(Limit("c-rest", OrderSide.Buy, 0.5m, 99.5m));

        Assert.Equal((OrderStatus.New, 0m, 99.5m), (placed.Status, placed.FilledQuantity, placed.Price));
        var open = Assert.Single(await Exchange.OpenOrders(Symbol));
        Assert.Equal(("c-rest", 0.5m, OrderStatus.New), (open.ClientOrderId, open.Quantity, open.Status));
        Assert.Equal(placed.VenueOrderId, (await Exchange.Order(Symbol, "c-rest"))!.VenueOrderId);
    }

    [Fact]
    public async Task APostOnlyLimitThatWouldTakeNeverFills()
    {
        var placed = await Exchange.Place(Limit("c-take", OrderSide.Buy, 0.5m, 100.1m));

        Assert.Contains(placed.Status, new[] { OrderStatus.Rejected, OrderStatus.Expired });
        Assert.Equal(0m, placed.FilledQuantity);
        Assert.Empty(await Exchange.OpenOrders(Symbol));
        Assert.Empty(await Exchange.Positions());
    }

    [Fact]
    public async Task AMarketOrderTakesTheBookLevelByLevel()
    {
        var placed = await Exchange.Place(new OrderRequest("c-market", Symbol, OrderSide.Buy, OrderType.Market, 2m));

        // 1 at 100.1 and 1 at 100.2: average (100.1 + 100.2) / 2 = 100.15
        Assert.Equal((OrderStatus.Filled, 2m, 100.15m), (placed.Status, placed.FilledQuantity, placed.AverageFillPrice));
        var position = Assert.Single(await Exchange.Positions());
        Assert.Equal((Symbol, 2m, 100.15m), (position.Symbol, position.Quantity, position.EntryPrice));
    }

    [Fact]
    public async Task ARestingLimitFillsPartlyThenFullyAsTheTapeTradesThroughIt()
    {
        await Exchange.Place(Limit("c-tape", OrderSide.Buy, 1m, 99.5m, TimeInForce.GoodTillCancel));

        await Venue.Trade(99.6m, 5m);
        Assert.Equal(0m, (await Exchange.Order(Symbol, "c-tape"))!.FilledQuantity);

        await Venue.Trade(99.5m, 0.4m);
        var partly = (await Exchange.Order(Symbol, "c-tape"))!;
        Assert.Equal((OrderStatus.PartiallyFilled, 0.4m), (partly.Status, partly.FilledQuantity));

        await Venue.Trade(99.4m, 3m);
        var filled = (await Exchange.Order(Symbol, "c-tape"))!;
        Assert.Equal((OrderStatus.Filled, 1m, 99.5m), (filled.Status, filled.FilledQuantity, filled.AverageFillPrice));
        Assert.Empty(await Exchange.OpenOrders(Symbol));
    }

    [Fact]
    public async Task CancellingEndsARestingOrderAndCancellingAgainAnswersHowItEnded()
    {
        await Exchange.Place(Limit("c-cancel", OrderSide.Sell, 0.2m, 101m));

        var cancelled = await Exchange.Cancel(Symbol, "c-cancel");
        var again = await Exchange.Cancel(Symbol, "c-cancel");

        Assert.Equal(OrderStatus.Canceled, cancelled.Status);
        Assert.Equal(OrderStatus.Canceled, again.Status);
        Assert.Empty(await Exchange.OpenOrders(Symbol));
    }

    [Fact]
    public async Task CancellingAnOrderNeverPlacedFailsAsRejected()
    {
        var e = await Assert.ThrowsAsync<ExchangeError>(async () => await Exchange.Cancel(Symbol, "c-never"));

        Assert.Equal(Runtime.Execution.ExchangeErrorKind.Rejected, e.Kind);
    }

    [Fact]
    public async Task AnOrderTheVenueNeverReceivedIsNull() => Assert.Null(await Exchange.Order(Symbol, "c-unknown"));

    [Fact]
    public async Task AReduceOnlyStopFiresWhenTheTapeReachesItAndFlattens()
    {
        await Exchange.Place(new OrderRequest("c-long", Symbol, OrderSide.Buy, OrderType.Market, 1m));
        var stop = await Exchange.Place(new OrderRequest("c-stop", Symbol, OrderSide.Sell, OrderType.StopMarket, 1m, StopPrice: 99.0m, ReduceOnly: true));
        Assert.Equal(OrderStatus.New, stop.Status);

        await Venue.Trade(99.2m, 1m);
        Assert.Equal(OrderStatus.New, (await Exchange.Order(Symbol, "c-stop"))!.Status);

        await Venue.Trade(99.0m, 1m);

        var fired = (await Exchange.Order(Symbol, "c-stop"))!;
        Assert.Equal((OrderStatus.Filled, 1m, 99.9m), (fired.Status, fired.FilledQuantity, fired.AverageFillPrice));
        Assert.Empty(await Exchange.Positions());
    }

    [Fact]
    public async Task BalancesAndExecutionsFollowTheFills()
    {
        var since = Exchange.Now.ToUnixTimeMilliseconds() - 1000;
        await Exchange.Place(new OrderRequest("c-buy", Symbol, OrderSide.Buy, OrderType.Market, 1m));
        await Exchange.Place(Limit("c-sell", OrderSide.Sell, 1m, 100.5m, TimeInForce.GoodTillCancel));
        await Venue.Trade(100.5m, 1m);

        // bought 1 at 100.1 (taker), sold 1 at 100.5 (maker): +0.4 realised, fees 100.1·taker + 100.5·maker
        var fees = (100.1m * Venue.Fees.Taker) + (100.5m * Venue.Fees.Maker);
        var balance = Assert.Single(await Exchange.Balances(), b => b.Asset == Venue.MarginAsset);
        Assert.Equal(Venue.StartingBalance + 0.4m - fees, balance.Total);

        var executions = await Exchange.Executions(Symbol, since);
        Assert.Equal(
            [("c-buy", OrderSide.Buy, 1m, 100.1m, false), ("c-sell", OrderSide.Sell, 1m, 100.5m, true)],
            executions.Select(e => (e.ClientOrderId, e.Side, e.Quantity, e.Price, e.Maker)));
        Assert.Equal([100.1m * Venue.Fees.Taker, 100.5m * Venue.Fees.Maker], executions.Select(e => e.Fee));
        Assert.Empty(await Exchange.Positions());
    }

    [Fact]
    public async Task FundingPaidOnALongIsPositive()
    {
        var since = Exchange.Now.ToUnixTimeMilliseconds() - 1000;
        await Exchange.Place(new OrderRequest("c-fund", Symbol, OrderSide.Buy, OrderType.Market, 1m));

        await Venue.PayFunding(0.0001m, 100m);

        // a long pays 1 × 100 × 0.0001 = 0.01 at a positive rate
        var payment = Assert.Single(await Exchange.Funding(since));
        Assert.Equal((Symbol, 0.01m, Venue.MarginAsset), (payment.Symbol, payment.Amount, payment.Asset));
    }

    [Theory]
    [InlineData(0.5, 99.55)] // price off the 0.1 tick
    [InlineData(0.0005, 99.5)] // quantity off the 0.001 step
    [InlineData(0.01, 99.5)] // notional 0.995 under the minimum of 5
    [InlineData(3000, 99.5)] // margin: 298,500 at 20x needs 14,925, more than the wallet holds
    public async Task AnOrderTheVenueRefusesForWhatItIsComesBackRejectedWithAReason(double quantity, double price)
    {
        var placed = await Exchange.Place(Limit("c-bad", OrderSide.Buy, (decimal)quantity, (decimal)price));
        if (Venue.MinNotional == 0m && (decimal)quantity * (decimal)price < 5m && (decimal)quantity % 0.001m == 0m)
        {
            // a venue without a notional filter takes the small order, and it rests
            Assert.Equal(OrderStatus.New, placed.Status);
            return;
        }

        Assert.Equal(OrderStatus.Rejected, placed.Status);
        Assert.False(string.IsNullOrWhiteSpace(placed.RejectReason));
        Assert.Empty(await Exchange.OpenOrders(Symbol));
    }

    [Fact]
    public async Task AReduceOnlyOrderWithNothingToReduceIsRejected()
    {
        var placed = await Exchange.Place(new OrderRequest("c-reduce", Symbol, OrderSide.Sell, OrderType.Market, 1m, ReduceOnly: true));

        Assert.Equal(OrderStatus.Rejected, placed.Status);
    }

    [Fact]
    public async Task BarsAreTheClosedBarsOfTheRangeOldestFirst()
    {
        var start = ((Exchange.Now.ToUnixTimeMilliseconds() / 60_000) - 10) * 60_000;
        for (var i = 0; i < 5; i++)
        {
            Venue.AddClosedBar(start + (i * 60_000), 100m + i, 101m + i, 99m + i, 100.5m + i, 10m * (i + 1));
        }

        var bars = await Exchange.Bars(Symbol, Interval.Parse("1m"), start + 60_000, start + (4 * 60_000));

        Assert.Equal([start + 60_000, start + 120_000, start + 180_000], bars.Select(b => b.OpenTime));
        Assert.Equal(new VenueBar(Symbol, start + 60_000, 101, 102, 100, 101.5, 20), bars[0]);
    }
}
