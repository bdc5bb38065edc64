using StrategyLab.Exchanges.Binance;
using StrategyLab.Exchanges.Binance.Common;
using StrategyLab.Exchanges.Binance.Http;
using StrategyLab.Exchanges.Tests.Fakes;
using StrategyLab.Runtime.Execution;
using ErrorKind = StrategyLab.Runtime.Execution.ExchangeErrorKind;

namespace StrategyLab.Exchanges.Tests.Binance;

/// <summary>
/// The Binance client's own rules against the fake venue: a venue that cannot be reached, a ban (418), an order answer
/// that cannot be read, the clock re-read on -1021, pacing by the venue's headers, account settings, stops on the mark
/// (the faults every venue shares are the conformance suite's, Conformance/ExchangeConformance.Faults.cs). Delays run
/// on a virtual clock, so every wait the client chose is recorded and none is really waited.
/// </summary>
public sealed class BinanceFuturesExchangeTests : IAsyncLifetime
{
    private const string Key = "exchange-tests-api-key-ABCDEFGH";
    private const string Secret = "exchange-tests-secret-HGFEDCBA";
    private const string Symbol = "BTCUSDT";

    private readonly VirtualTimeProvider _clock = new(new DateTimeOffset(2024, 6, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly ListLogger _log = new();
    private FakeBinanceFuturesVenue _venue = null!;

    public async Task InitializeAsync()
    {
        _venue = await FakeBinanceFuturesVenue.StartAsync(Key, Secret);
        _venue.Now = _clock.GetUtcNow;
        _venue.AddSymbol(new FakeSymbol(Symbol, 0.1m, 0.001m, 0.001m, 1000m, 5m));
        _venue.SetBook(Symbol, [(99.9m, 1m)], [(100.1m, 1m), (100.2m, 5m)]);
    }

    public Task DisposeAsync() => _venue.DisposeAsync().AsTask();

    private BinanceFuturesExchange Exchange(string secret = Secret, Func<BinanceFuturesOptions, BinanceFuturesOptions>? adjust = null)
    {
        var options = new BinanceFuturesOptions
        {
            Environment = new BinanceEnvironment("fake", _venue.Host.RestBase, _venue.Host.StreamBase, IsTestnet: true),
            TimeProvider = _clock,
            Logger = _log,
            // long enough that a loaded machine never times out a request the venue answers; tests of hangs shorten it
            RequestTimeout = TimeSpan.FromSeconds(30),
            Jitter = () => 0.5,
        };
        return new BinanceFuturesExchange(adjust is null ? options : adjust(options), BinanceCredentials.Of(Key, secret));
    }

    private static OrderRequest Buy(string id, decimal quantity = 0.5m) =>
        new(id, Symbol, OrderSide.Buy, OrderType.Limit, quantity, 99.5m, TimeInForce: TimeInForce.PostOnly);

    private int Posts => _venue.Host.RequestsTo("POST", "/fapi/v1/order").Count;

    [Fact]
    public async Task AFillStampedAheadOfTheClientsReadingOfTheVenuesClockIsListed()
    {
        using var exchange = Exchange();
        await exchange.Balances();
        var since = _clock.GetUtcNow().ToUnixTimeMilliseconds();
        // the venue's clock now runs 2 s ahead of what the client read of it (drift between syncs, half a round trip)
        _venue.Now = () => _clock.GetUtcNow().AddSeconds(2);
        Assert.Equal(OrderStatus.Filled, (await exchange.Place(new OrderRequest("ahead", Symbol, OrderSide.Buy, OrderType.Market, 0.5m))).Status);

        var executions = await exchange.Executions(Symbol, since);

        Assert.Single(executions, e => e.ClientOrderId == "ahead");
    }

    [Fact]
    public async Task AVenueThatCannotBeReachedFailsAtOnceWithoutRetries()
    {
        var closed = _venue.Host.RestBase;
        await _venue.DisposeAsync();
        using var exchange = new BinanceFuturesExchange(
            new BinanceFuturesOptions { Environment = new BinanceEnvironment("fake", closed, closed, IsTestnet: true), TimeProvider = _clock },
            BinanceCredentials.Of(Key, Secret));

        var e = await Assert.ThrowsAsync<ExchangeError>(async () => await exchange.Instruments());

        Assert.Equal(ErrorKind.Unknown, e.Kind);
        Assert.StartsWith($"GET /fapi/v1/exchangeInfo: cannot reach Binance at {closed.GetLeftPart(UriPartial.Authority)}", e.Message, StringComparison.Ordinal);
        Assert.Empty(_clock.Delays);

        // an order that could not even be sent is known not to be placed: no look-up, which could not be sent either
        var order = await Assert.ThrowsAsync<ExchangeError>(async () => await exchange.Place(Buy("offline")));
        Assert.Equal(ErrorKind.VenueFailure, order.Kind);
        Assert.EndsWith("the order was not placed", order.Message, StringComparison.Ordinal);
        _venue = await FakeBinanceFuturesVenue.StartAsync(Key, Secret);
    }

    [Fact]
    public async Task ABanIsNeverRetried()
    {
        using var exchange = Exchange();
        _venue.Host.Fail("/fapi/v3/balance", InjectedFault.Banned(retryAfterSeconds: 120));

        var e = await Assert.ThrowsAsync<ExchangeError>(async () => await exchange.Balances());

        Assert.Equal(ErrorKind.Throttled, e.Kind);
        Assert.Contains("HTTP 418", e.Message, StringComparison.Ordinal);
        Assert.Contains("retry after 120 s", e.Message, StringComparison.Ordinal);
        Assert.Single(_venue.Host.RequestsTo("GET", "/fapi/v3/balance"));
    }

    [Fact]
    public async Task AnOrderAcceptedWithAnAnswerThatCannotBeReadIsLookedUp()
    {
        using var exchange = Exchange();
        _venue.Host.Fail("/fapi/v1/order", new InjectedFault(FaultKind.Answer, 200, "{\"orderId\":", AfterProcessing: true));

        var placed = await exchange.Place(Buy("garbled"));

        Assert.Equal((OrderStatus.New, "garbled"), (placed.Status, placed.ClientOrderId));
        Assert.Equal(1, Posts);
    }

    [Fact]
    public async Task ATimestampOutsideTheWindowReReadsTheClockAndRetriesAReadOnce()
    {
        using var exchange = Exchange();
        Assert.Single(await exchange.Balances());

        // the venue's clock jumps 10 s ahead of what was read: the next signed request is outside recvWindow
        _venue.Now = () => _clock.GetUtcNow() + TimeSpan.FromSeconds(10);
        var balance = Assert.Single(await exchange.Balances());

        Assert.Equal(10_000m, balance.Total);
        Assert.Equal(2, _venue.Host.RequestsTo("GET", "/fapi/v1/time").Count);
        Assert.Equal(3, _venue.Host.RequestsTo("GET", "/fapi/v3/balance").Count);
        Assert.Contains(_log.Messages, m => m.Contains("-1021", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ATimestampOutsideTheWindowNeverResendsAnOrder()
    {
        using var exchange = Exchange();
        Assert.Single(await exchange.Balances());
        _venue.Now = () => _clock.GetUtcNow() + TimeSpan.FromSeconds(10);

        var e = await Assert.ThrowsAsync<ExchangeError>(async () => await exchange.Place(Buy("stale")));

        Assert.Equal(ErrorKind.VenueFailure, e.Kind);
        Assert.Contains("-1021", e.Message, StringComparison.Ordinal);
        Assert.Equal(1, Posts);

        // the clock was read again, so the same order now goes through
        Assert.Equal(OrderStatus.New, (await exchange.Place(Buy("stale"))).Status);
    }

    [Fact]
    public async Task OrderCountsFromTheVenueHeadersPaceTheNextOrder()
    {
        using var exchange = Exchange(adjust: o => o with { OrdersPer10Seconds = 2 });

        await exchange.Place(Buy("paced-1"));
        await exchange.Place(Buy("paced-2"));
        Assert.Empty(_clock.Delays);

        await exchange.Place(Buy("paced-3"));

        // two orders counted in this 10-second window: the third waits for the next
        var wait = Assert.Single(_clock.Delays);
        Assert.InRange(wait, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(10.25));
        Assert.Equal(3, Posts);
    }

    [Fact]
    public async Task WeightTheVenueSaysIsUsedPacesTheNextRequest()
    {
        using var exchange = Exchange(adjust: o => o with { RequestWeightPerMinute = 100 });
        _clock.Advance(TimeSpan.FromSeconds(20));

        Assert.Single(await exchange.Balances());
        Assert.Empty(_clock.Delays);

        // another program on this IP has used 96 of the 100 this minute: the next weight-5 request waits
        _venue.UsedWeight = 96;
        Assert.Single(await exchange.Balances());
        Assert.Empty(_clock.Delays);
        Assert.Single(await exchange.Balances());

        // to the venue's next minute and 0.25 s, from 00:00:20 on its clock as read to the millisecond
        var wait = Assert.Single(_clock.Delays);
        Assert.InRange(wait, TimeSpan.FromSeconds(40.249), TimeSpan.FromSeconds(40.25));
    }

    [Fact]
    public async Task AnAccountLeftInHedgeModeRefusesOrdersUntilTheRunnerSetsItToOneWay()
    {
        using var exchange = Exchange();
        _venue.UseHedgeMode();

        var refused = await Assert.ThrowsAsync<ExchangeError>(() => exchange.Place(Buy("hedged-1")).AsTask());
        Assert.Contains("-4061", refused.Message, StringComparison.Ordinal);

        // what live trading does before its runner starts, through the venue-neutral seam
        IOneWayAccount account = exchange;
        await account.UseOneWayMode();

        Assert.False(_venue.DualSide);
        Assert.NotEqual(OrderStatus.Rejected, (await exchange.Place(Buy("hedged-2"))).Status);
    }

    [Fact]
    public async Task SetsOneWayModeMarginTypeAndLeverageAndSettingThemAgainIsHarmless()
    {
        using var exchange = Exchange();

        await exchange.UseOneWayMode();
        await exchange.SetMarginType(Symbol, BinanceMarginType.Isolated);
        await exchange.SetMarginType(Symbol, BinanceMarginType.Isolated);
        var leverage = await exchange.SetLeverage(Symbol, 5);

        Assert.False(_venue.DualSide);
        Assert.Equal(("ISOLATED", 5, 5), (_venue.MarginType(Symbol), _venue.Leverage(Symbol), leverage));
    }

    [Fact]
    public async Task AStopTriggeredByTheMarkIgnoresTradesAndFiresOnTheMark()
    {
        using var exchange = Exchange(adjust: o => o with { StopTrigger = "MARK_PRICE" });
        await exchange.Place(new OrderRequest("mark-long", Symbol, OrderSide.Buy, OrderType.Market, 1m));
        await exchange.Place(new OrderRequest("mark-stop", Symbol, OrderSide.Sell, OrderType.StopMarket, 1m, StopPrice: 99.0m));
        Assert.Equal("MARK_PRICE", _venue.Host.RequestsTo("POST", "/fapi/v1/order")[^1].Parameter("workingType"));
        Assert.Equal("true", _venue.Host.RequestsTo("POST", "/fapi/v1/order")[^1].Parameter("reduceOnly"));

        await _venue.TradeAsync(Symbol, 98.5m, 1m);
        Assert.Equal(OrderStatus.New, (await exchange.Order(Symbol, "mark-stop"))!.Status);

        await _venue.MarkAsync(Symbol, 98.9m);
        Assert.Equal(OrderStatus.Filled, (await exchange.Order(Symbol, "mark-stop"))!.Status);
        Assert.Empty(await exchange.Positions());
    }

    [Fact]
    public async Task APostOnlyOrderTheVenueExpiresInsteadOfRefusingIsExpired()
    {
        using var exchange = Exchange();
        _venue.PostOnlyExpiresInsteadOfRejecting = true;

        var placed = await exchange.Place(new OrderRequest("gtx-expire", Symbol, OrderSide.Buy, OrderType.Limit, 0.5m, 100.2m, TimeInForce: TimeInForce.PostOnly));

        Assert.Equal((OrderStatus.Expired, 0m), (placed.Status, placed.FilledQuantity));
    }

    [Fact]
    public async Task APostOnlyRefusalCarriesTheVenuesReason()
    {
        using var exchange = Exchange();

        var placed = await exchange.Place(new OrderRequest("gtx-take", Symbol, OrderSide.Buy, OrderType.Limit, 0.5m, 100.2m, TimeInForce: TimeInForce.PostOnly));

        Assert.Equal(OrderStatus.Rejected, placed.Status);
        Assert.Equal("Binance rejected POST /fapi/v1/order (Binance -5022: Due to the order could not be executed as maker, the Post Only order will be rejected.)", placed.RejectReason);
    }
}
