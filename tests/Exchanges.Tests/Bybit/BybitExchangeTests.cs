using System.Globalization;
using StrategyLab.Exchanges.Bybit;
using StrategyLab.Exchanges.Bybit.Common;
using StrategyLab.Exchanges.Tests.Fakes;
using StrategyLab.Operations;
using StrategyLab.Runtime.Data;
using StrategyLab.Runtime.Execution;
using StrategyLab.Runtime.Trading;
using ErrorKind = StrategyLab.Runtime.Execution.ExchangeErrorKind;

namespace StrategyLab.Exchanges.Tests.Bybit;

/// <summary>
/// The Bybit client's own rules against the fake venue: signed headers, the clock and the receive window, pacing by
/// the rate-limit headers, 403 and 10016, order parameters, account settings, paging (the faults every venue shares
/// are the conformance suite's, Conformance/ExchangeConformance.Faults.cs). Delays run on a virtual clock, so every
/// wait the client chose is recorded and none is really waited.
/// </summary>
public sealed class BybitExchangeTests : IAsyncLifetime
{
    private const string Key = "bybit-exchange-tests-key-ABCD";
    private const string Secret = "bybit-exchange-tests-secret-DCBA";
    private const string Symbol = "BTCUSDT";
    private const string Create = "/v5/order/create";

    private readonly VirtualTimeProvider _clock = new(new DateTimeOffset(2024, 6, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly ListLogger _log = new();
    private FakeBybitVenue _venue = null!;

    public async Task InitializeAsync()
    {
        _venue = await FakeBybitVenue.StartAsync(Key, Secret);
        _venue.Now = _clock.GetUtcNow;
        _venue.AddSymbol(new FakeBybitSymbol(Symbol, 0.1m, 0.001m, 0.001m, 1000m, 5m));
        _venue.SetBook(Symbol, [(99.9m, 1m)], [(100.1m, 1m), (100.2m, 5m)]);
    }

    public Task DisposeAsync() => _venue.DisposeAsync().AsTask();

    private BybitExchange Exchange(string secret = Secret, Func<BybitOptions, BybitOptions>? adjust = null)
    {
        var options = BybitConformanceTests.Options(_venue) with
        {
            TimeProvider = _clock,
            Logger = _log,
            RetryBaseDelay = TimeSpan.FromSeconds(1),
            RetryMaxDelay = TimeSpan.FromSeconds(30),

            // long enough that a loaded machine never times out a request the venue answers; tests of hangs shorten it
            RequestTimeout = TimeSpan.FromSeconds(30),
            Jitter = () => 0.5,
        };
        return new BybitExchange(adjust is null ? options : adjust(options), BybitCredentials.Of(Key, secret));
    }

    private static OrderRequest Buy(string id, decimal quantity = 0.5m) =>
        new(id, Symbol, OrderSide.Buy, OrderType.Limit, quantity, 99.5m, TimeInForce: TimeInForce.PostOnly);

    private int Creates => _venue.Host.RequestsTo("POST", Create).Count;

    [Fact]
    public async Task SignedRequestsCarryTheFourHeadersAndTheVenuesClock()
    {
        using var exchange = Exchange();
        _venue.Now = () => _clock.GetUtcNow().AddSeconds(30);

        Assert.Single(await exchange.Balances());

        var request = Assert.Single(_venue.Host.RequestsTo("GET", "/v5/account/wallet-balance"));
        Assert.Equal(Key, request.Headers["X-BAPI-API-KEY"]);
        Assert.Equal("5000", request.Headers["X-BAPI-RECV-WINDOW"]);
        Assert.Equal(_clock.GetUtcNow().AddSeconds(30).ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture), request.Headers["X-BAPI-TIMESTAMP"]);
        Assert.Equal(64, request.Headers["X-BAPI-SIGN"].Length);
    }

    [Fact]
    public async Task ATimestampOutsideTheWindowReReadsTheClockAndRetriesAReadOnce()
    {
        using var exchange = Exchange();
        Assert.Single(await exchange.Balances());

        // the venue's clock jumps 10 s ahead of what was read: the next signed request is outside the 5 s window
        _venue.Now = () => _clock.GetUtcNow() + TimeSpan.FromSeconds(10);
        Assert.Single(await exchange.Balances());

        Assert.Equal(2, _venue.Host.RequestsTo("GET", "/v5/market/time").Count);
        Assert.Equal(3, _venue.Host.RequestsTo("GET", "/v5/account/wallet-balance").Count);
        Assert.Contains(_log.Messages, m => m.Contains("10002", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ATimestampOutsideTheWindowNeverResendsAnOrder()
    {
        using var exchange = Exchange();
        Assert.Single(await exchange.Balances());
        _venue.Now = () => _clock.GetUtcNow() + TimeSpan.FromSeconds(10);

        var e = await Assert.ThrowsAsync<ExchangeError>(async () => await exchange.Place(Buy("stale")));

        Assert.Equal(ErrorKind.VenueFailure, e.Kind);
        Assert.Contains("10002", e.Message, StringComparison.Ordinal);
        Assert.Equal(1, Creates);
        Assert.Equal(OrderStatus.New, (await exchange.Place(Buy("stale"))).Status);
    }

    [Fact]
    public async Task ASpentWindowInTheHeadersPacesTheNextRequestToTheSameEndpoint()
    {
        using var exchange = Exchange();
        _venue.LimitStatus = 0;
        _venue.LimitResetSeconds = 3;
        Assert.Empty(await exchange.Positions());
        Assert.Empty(_clock.Delays);

        Assert.Empty(await exchange.Positions());

        var wait = Assert.Single(_clock.Delays);
        Assert.InRange(wait, TimeSpan.FromSeconds(2.99), TimeSpan.FromSeconds(3));
        Assert.Contains(new RateLimitUse("/v5/position/list", 50, 50), exchange.RateLimits());
    }

    [Fact]
    public async Task HeadroomIsEachEndpointsWindowAsItsHeadersSaidAndWholeAgainOnceTheWindowResets()
    {
        using var exchange = Exchange();
        var metrics = new TradingMetrics(60_000, _clock);
        metrics.Watch(exchange);
        _venue.LimitStatus = 37;
        _venue.LimitResetSeconds = 1;

        Assert.Empty(await exchange.Positions());

        // the clock's read first; each answer said 37 of its endpoint's 50 are left for the next second: 13 used, 37/50 = 0.74 left
        Assert.Equal([new RateLimitUse("/v5/market/time", 13, 50), new RateLimitUse("/v5/position/list", 13, 50)], exchange.RateLimits());
        Assert.Equal(0.74, await Headroom(metrics, "/v5/position/list"));

        // two seconds on, both windows have reset: nothing used of them
        _clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal([new RateLimitUse("/v5/market/time", 0, 50), new RateLimitUse("/v5/position/list", 0, 50)], exchange.RateLimits());
        Assert.Equal(1.0, await Headroom(metrics, "/v5/position/list"));
    }

    [Fact]
    public async Task A403IsThrottledAndNotRetried()
    {
        using var exchange = Exchange();
        _venue.Host.Fail("/v5/account/wallet-balance", new InjectedFault(FaultKind.Answer, 403, "<html>403 Forbidden</html>"));

        var e = await Assert.ThrowsAsync<ExchangeError>(async () => await exchange.Balances());

        Assert.Equal(ErrorKind.Throttled, e.Kind);
        Assert.Contains("HTTP 403", e.Message, StringComparison.Ordinal);
        Assert.Single(_venue.Host.RequestsTo("GET", "/v5/account/wallet-balance"));
    }

    [Fact]
    public async Task AReadAnswered10016IsRetried()
    {
        using var exchange = Exchange();

        // Bybit's "internal server error; service is restarting", sent in a 200 answer (the suite covers 5xx, timeouts and drops)
        _venue.Host.Fail("/v5/order/realtime", _venue.Code(10016, "Internal server error"));

        Assert.Empty(await exchange.OpenOrders(Symbol));

        Assert.Equal(2, _venue.Host.RequestsTo("GET", "/v5/order/realtime").Count);
        Assert.InRange(Assert.Single(_clock.Delays), TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task AVenueThatCannotBeReachedFailsAtOnceAndAnOrderIsKnownNotPlaced()
    {
        var closed = _venue.Host.RestBase;
        await _venue.DisposeAsync();
        using var exchange = new BybitExchange(
            new BybitOptions { Environment = new BybitEnvironment("fake", closed, closed, closed, IsTestnet: true), TimeProvider = _clock },
            BybitCredentials.Of(Key, Secret));

        var e = await Assert.ThrowsAsync<ExchangeError>(async () => await exchange.Instruments());
        Assert.Equal(ErrorKind.Unknown, e.Kind);
        Assert.StartsWith($"GET /v5/market/instruments-info: cannot reach Bybit at {closed.GetLeftPart(UriPartial.Authority)}", e.Message, StringComparison.Ordinal);
        Assert.Empty(_clock.Delays);

        var order = await Assert.ThrowsAsync<ExchangeError>(async () => await exchange.Place(Buy("offline")));
        Assert.Equal(ErrorKind.VenueFailure, order.Kind);
        _venue = await FakeBybitVenue.StartAsync(Key, Secret);
    }

    [Fact]
    public async Task AnImmediateOrCancelLimitFillsWhatTheBookHoldsAndCancelsTheRest()
    {
        using var exchange = Exchange();

        var placed = await exchange.Place(new OrderRequest("ioc", Symbol, OrderSide.Buy, OrderType.Limit, 2m, 100.1m, TimeInForce: TimeInForce.ImmediateOrCancel));

        // 1 at 100.1 is all the book offers at or under the limit
        Assert.Equal((OrderStatus.Canceled, 1m, 100.1m), (placed.Status, placed.FilledQuantity, placed.AverageFillPrice));
        Assert.Equal("IOC", _venue.Order("ioc")!.TimeInForce);
    }

    [Fact]
    public async Task APostOnlyOrderIsSentAsPostOnlyAndAStopAsAReduceOnlyConditionalMarketOrder()
    {
        using var exchange = Exchange();
        await exchange.Place(Buy("maker"));
        await exchange.Place(new OrderRequest("long", Symbol, OrderSide.Buy, OrderType.Market, 1m));
        await exchange.Place(new OrderRequest("stop", Symbol, OrderSide.Sell, OrderType.StopMarket, 1m, StopPrice: 99m));

        var bodies = _venue.Host.RequestsTo("POST", Create).Select(r => r.Body).ToList();
        Assert.Contains("\"timeInForce\":\"PostOnly\"", bodies[0], StringComparison.Ordinal);
        Assert.Contains("\"positionIdx\":0", bodies[0], StringComparison.Ordinal);
        Assert.Contains("\"orderType\":\"Market\"", bodies[2], StringComparison.Ordinal);
        Assert.Contains("\"reduceOnly\":true", bodies[2], StringComparison.Ordinal);
        Assert.Contains("\"triggerPrice\":\"99\"", bodies[2], StringComparison.Ordinal);

        // a sell stop waits for the price to fall to it: direction 2
        Assert.Contains("\"triggerDirection\":2", bodies[2], StringComparison.Ordinal);
        Assert.Contains("\"triggerBy\":\"LastPrice\"", bodies[2], StringComparison.Ordinal);
        Assert.Equal(OrderType.StopMarket, (await exchange.Order(Symbol, "stop"))!.Type);
    }

    [Fact]
    public async Task SetsOneWayModeAndLeverageAndSettingThemAgainIsHarmless()
    {
        using var exchange = Exchange();

        await exchange.UseOneWayMode();
        await exchange.UseOneWayMode();
        await exchange.SetLeverage(Symbol, 5m);
        await exchange.SetLeverage(Symbol, 5m);

        Assert.Equal((0, 5m), (_venue.PositionMode, _venue.Leverage(Symbol)));
    }

    [Fact]
    public async Task ALeverageAboveTheInstrumentsMaximumIsRejected()
    {
        using var exchange = Exchange();

        var e = await Assert.ThrowsAsync<ExchangeError>(async () => await exchange.SetLeverage(Symbol, 150m));

        Assert.Equal(ErrorKind.Rejected, e.Kind);
        Assert.Equal(100, Assert.Single(await exchange.Instruments()).MaxLeverage);
    }

    [Fact]
    public async Task BarsOfALongRangeArePagedBackwards200AtATime()
    {
        using var exchange = Exchange();
        var start = _clock.GetUtcNow().AddDays(-1).ToUnixTimeMilliseconds() / 60_000 * 60_000;
        for (var i = 0; i < 450; i++)
        {
            _venue.AddKline(Symbol, "1", start + (i * 60_000L), 100m, 101m, 99m, 100m + (i / 1000m), 1m);
        }

        var bars = await exchange.Bars(Symbol, Interval.Parse("1m"), start, start + (450 * 60_000L));

        Assert.Equal(450, bars.Count);
        Assert.Equal(Enumerable.Range(0, 450).Select(i => start + (i * 60_000L)), bars.Select(b => b.OpenTime));
        Assert.Equal(100.449, bars[^1].Close);
        Assert.Equal(3, _venue.Host.RequestsTo("GET", "/v5/market/kline").Count);
        Assert.All(_venue.Host.RequestsTo("GET", "/v5/market/kline"), r => Assert.Equal("200", r.Parameter("limit")));
    }

    [Fact]
    public async Task FundingIsReadAcrossPagesWithTheVenuesCursorSentBackAsItCame()
    {
        using var exchange = Exchange();
        var since = _clock.GetUtcNow().ToUnixTimeMilliseconds();
        await exchange.Place(new OrderRequest("fund", Symbol, OrderSide.Buy, OrderType.Market, 1m));
        for (var i = 0; i < 60; i++)
        {
            _clock.Advance(TimeSpan.FromMinutes(1));
            await _venue.PayFundingAsync(Symbol, 0.0001m, 100m);
        }

        var payments = await exchange.Funding(since);

        // a long of 1 pays 1 × 100 × 0.0001 = 0.01 each time; the log answers 50 a page
        Assert.Equal(60, payments.Count);
        Assert.All(payments, p => Assert.Equal(0.01m, p.Amount));
        Assert.Equal(2, _venue.Host.RequestsTo("GET", "/v5/account/transaction-log").Count);
        Assert.Contains("cursor=page_args%3D50", _venue.Host.RequestsTo("GET", "/v5/account/transaction-log")[1].Query, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AFillStampedAheadOfTheClientsReadingOfTheVenuesClockIsListed()
    {
        using var exchange = Exchange();
        await exchange.Balances();
        var since = _clock.GetUtcNow().ToUnixTimeMilliseconds();

        // the venue's clock now runs 2 s ahead of what the client read of it (drift between syncs, half a round trip)
        _venue.Now = () => _clock.GetUtcNow().AddSeconds(2);
        Assert.Equal(OrderStatus.Filled, (await exchange.Place(new OrderRequest("ahead", Symbol, OrderSide.Buy, OrderType.Market, 0.5m))).Status);

        Assert.Single(await exchange.Executions(Symbol, since), e => e.ClientOrderId == "ahead");
    }

    [Fact]
    public async Task AnIntervalBybitDoesNotServeIsRefusedBeforeAnyRequest()
    {
        using var exchange = Exchange();

        var e = await Assert.ThrowsAsync<ExchangeError>(async () => await exchange.Bars(Symbol, Interval.Parse("2m"), 0, 60_000));

        Assert.Equal(ErrorKind.Rejected, e.Kind);
        Assert.Empty(_venue.Host.RequestsTo("GET", "/v5/market/kline"));
    }

    // the headroom gauge of one limit, as a scrape of the metrics reads it
    private static async Task<double> Headroom(TradingMetrics metrics, string limit)
    {
        using var text = new MemoryStream();
        await metrics.Registry.CollectAndExportAsTextAsync(text);
        var series = $"{TradingMetrics.Names.RateLimitHeadroom}{{limit=\"{limit}\"}} ";
        var line = Assert.Single(System.Text.Encoding.UTF8.GetString(text.ToArray()).Split('\n'), l => l.StartsWith(series, StringComparison.Ordinal));
        return double.Parse(line[series.Length..], CultureInfo.InvariantCulture);
    }
}
