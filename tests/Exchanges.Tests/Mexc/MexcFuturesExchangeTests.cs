using StrategyLab.Exchanges.Mexc;
using StrategyLab.Exchanges.Mexc.Common;
using StrategyLab.Exchanges.Tests.Fakes;
using StrategyLab.Runtime.Data;
using StrategyLab.Runtime.Execution;

namespace StrategyLab.Exchanges.Tests.Mexc;

/// <summary>The MEXC client's fault handling and streams against the fake venue.</summary>
public sealed class MexcFuturesExchangeTests : IAsyncLifetime
{
    private const string Submit = "/api/v1/private/order/submit";
    private FakeMexcVenue _venue = null!;
    private MexcFuturesExchange _mexc = null!;

    public async Task InitializeAsync()
    {
        _venue = await FakeMexcVenue.StartAsync(MexcConformanceTests.Key, MexcConformanceTests.Secret);
        _venue.SetBook([(99.9m, 1m)], [(100.1m, 1m), (100.2m, 2m)]);
        _mexc = new MexcFuturesExchange(MexcConformanceTests.Options(_venue), MexcCredentials.Of(MexcConformanceTests.Key, MexcConformanceTests.Secret));
        await _mexc.UseOneWayMode();
    }

    public async Task DisposeAsync()
    {
        _mexc.Dispose();
        await _venue.DisposeAsync();
    }

    [Fact]
    public async Task AnOrderWhoseAnswerIsLostIsFoundByItsExternalOidAndNeverSentTwice()
    {
        _venue.Host.Fail(Submit, InjectedFault.DropConnection(afterProcessing: true));

        var placed = await _mexc.Place(new OrderRequest("lost-1", FakeMexcVenue.Symbol, OrderSide.Buy, OrderType.Limit, 0.5m, 99.5m));

        Assert.Equal(("lost-1", OrderStatus.New, 0.5m), (placed.ClientOrderId, placed.Status, placed.Quantity));
        Assert.Equal(1, _venue.OrdersReceived);
    }

    [Fact]
    public async Task AnOrderTheVenueNeverTookFailsAsNotPlacedAfterOneSend()
    {
        _venue.Host.Fail(Submit, InjectedFault.ServerError());

        var e = await Assert.ThrowsAsync<ExchangeError>(async () => await _mexc.Place(new OrderRequest("lost-2", FakeMexcVenue.Symbol, OrderSide.Buy, OrderType.Market, 0.5m)));

        Assert.Equal(Runtime.Execution.ExchangeErrorKind.VenueFailure, e.Kind);
        Assert.Contains("MEXC has no order lost-2", e.Message, StringComparison.Ordinal);
        Assert.Equal(1, _venue.OrdersReceived);
        Assert.Empty(await _mexc.Positions());
    }

    [Fact]
    public async Task AnOrderSentWhileTheVenueThrottlesIsRejectedAsThrottledNotRetried()
    {
        _venue.Host.Fail(Submit, new InjectedFault(FaultKind.Answer, 200, "{\"success\":false,\"code\":510,\"message\":\"Requests are too frequent\"}"));

        var e = await Assert.ThrowsAsync<ExchangeError>(async () => await _mexc.Place(new OrderRequest("busy-1", FakeMexcVenue.Symbol, OrderSide.Buy, OrderType.Market, 0.5m)));

        Assert.Equal(Runtime.Execution.ExchangeErrorKind.Throttled, e.Kind);
        Assert.Equal(1, _venue.OrdersReceived);
    }

    [Fact]
    public async Task ReadsAreRetriedThroughThrottlingServerErrorsAndDroppedConnections()
    {
        const string assets = "/api/v1/private/account/assets";
        _venue.Host.Fail(assets, new InjectedFault(FaultKind.Answer, 200, "{\"success\":false,\"code\":510,\"message\":\"Requests are too frequent\"}"));
        _venue.Host.Fail(assets, InjectedFault.TooManyRequests(0));
        _venue.Host.Fail(assets, InjectedFault.ServerError());
        _venue.Host.Fail(assets, InjectedFault.DropConnection());

        var balance = Assert.Single(await _mexc.Balances());

        Assert.Equal(("USDT", 10_000m), (balance.Asset, balance.Total));
        Assert.Equal(5, _venue.Host.RequestsTo("GET", assets).Count);
    }

    [Fact]
    public async Task SignedRequestsCarryTheDocumentedHeaders()
    {
        await _mexc.Balances();

        var request = _venue.Host.RequestsTo("GET", "/api/v1/private/account/assets")[^1];
        Assert.Equal(MexcConformanceTests.Key, request.Headers["ApiKey"]);
        Assert.Equal("10", request.Headers["Recv-Window"]);
        Assert.Matches("^[0-9]{13}$", request.Headers["Request-Time"]);
        Assert.Matches("^[0-9a-f]{64}$", request.Headers["Signature"]);
    }

    [Fact]
    public async Task AQuantityBetweenContractsIsRefusedUnsent()
    {
        var placed = await _mexc.Place(new OrderRequest("odd-1", FakeMexcVenue.Symbol, OrderSide.Buy, OrderType.Limit, 0.0015m, 99.5m));

        Assert.Equal(OrderStatus.Rejected, placed.Status);
        Assert.Equal("0.0015 BTC is not a whole number of 0.001 BTC volume units of BTC_USDT", placed.RejectReason);
        Assert.Equal(0, _venue.OrdersReceived);
    }

    [Fact]
    public async Task OrdersAreSentInContractsAndReadBackInTheBaseAsset()
    {
        await _mexc.Place(new OrderRequest("vol-1", FakeMexcVenue.Symbol, OrderSide.Buy, OrderType.Market, 1.5m));

        // 1.5 BTC at 0.001 BTC a contract is 1500 contracts: 1 BTC at 100.1 and 0.5 at 100.2
        var position = Assert.Single(await _mexc.Positions());
        Assert.Equal((1.5m, 100.1333333333333333333333333m), (position.Quantity, Math.Round(position.EntryPrice, 25)));
    }

    [Fact]
    public async Task LeverageOutsideTheContractsLimitsIsRefusedBeforeSending()
    {
        var e = await Assert.ThrowsAsync<ExchangeError>(async () => await _mexc.SetLeverage(FakeMexcVenue.Symbol, 200));

        Assert.Equal("MEXC allows BTC_USDT leverage from 1 to 125, found 200", e.Message);
        Assert.Equal(10, await _mexc.SetLeverage(FakeMexcVenue.Symbol, 10));
        Assert.Equal(10, _venue.Leverage);
    }

    [Fact]
    public async Task TheKlineStreamBackfillsOverRestAfterADroppedSocketWithoutDuplicates()
    {
        var start = ((DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 60_000) - 30) * 60_000;
        long T(int i) => start + (i * 60_000);
        for (var i = 0; i < 3; i++)
        {
            _venue.AddKline(T(i), 100 + i, 101 + i, 99 + i, 100.5m + i, 1m);
        }

        using var cancel = new CancellationTokenSource();
        var opened = new SemaphoreSlim(0);
        _venue.Host.StreamOpened += _ => opened.Release();
        await using var bars = _mexc.StreamBars(FakeMexcVenue.Symbol, Interval.Parse("1m"), start, cancel.Token).GetAsyncEnumerator(cancel.Token);
        var seen = new List<long>();
        for (var i = 0; i < 3; i++)
        {
            Assert.True(await bars.MoveNextAsync());
            seen.Add(bars.Current.OpenTime);
        }

        await opened.WaitAsync(cancel.Token);
        await WaitForSubscription();
        await _venue.PushKlineAsync(T(3), 103, 104, 102, 103.5m, 2m);
        await _venue.PushKlineAsync(T(4), 104, 105, 103, 104.5m, 1m);
        Assert.True(await bars.MoveNextAsync());
        seen.Add(bars.Current.OpenTime);
        Assert.Equal(2d, bars.Current.Volume); // 2000 contracts of 0.001 BTC

        // while the socket is down, windows 3 to 5 close; REST serves them on reconnection
        for (var i = 3; i < 6; i++)
        {
            _venue.AddKline(T(i), 100 + i, 101 + i, 99 + i, 100.5m + i, 1m);
        }

        _venue.Host.DropStreams("/edge");
        for (var i = 0; i < 2; i++)
        {
            Assert.True(await bars.MoveNextAsync());
            seen.Add(bars.Current.OpenTime);
        }

        Assert.Equal([T(0), T(1), T(2), T(3), T(4), T(5)], seen);
        await cancel.CancelAsync();
    }

    [Fact]
    public async Task TheAccountStreamLogsInAndPushesOrderChanges()
    {
        using var cancel = new CancellationTokenSource();
        await using var events = _mexc.StreamAccount(cancel.Token).GetAsyncEnumerator(cancel.Token);
        var next = events.MoveNextAsync();
        while (_venue.Host.OpenStreams("/edge") == 0 || !await LoggedIn())
        {
            await Task.Delay(10);
        }

        await _mexc.Place(new OrderRequest("push-1", FakeMexcVenue.Symbol, OrderSide.Buy, OrderType.Limit, 0.2m, 99.5m));

        Assert.True(await next);
        var order = Assert.IsType<OrderEvent>(events.Current).Order;
        Assert.Equal(("push-1", 0.2m, OrderStatus.New), (order.ClientOrderId, order.Quantity, order.Status));
        await cancel.CancelAsync();
    }

    private async Task<bool> LoggedIn()
    {
        await Task.Yield();
        return _venue.LoggedInSessions > 0;
    }

    private async Task WaitForSubscription()
    {
        while (_venue.KlineSubscribers == 0)
        {
            await Task.Delay(10);
        }
    }
}
