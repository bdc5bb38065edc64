using StrategyLab.Exchanges.Mexc;
using StrategyLab.Exchanges.Mexc.Common;
using StrategyLab.Exchanges.Tests.Fakes;
using StrategyLab.Runtime.Execution;

namespace StrategyLab.Exchanges.Tests.Mexc;

/// <summary>
/// The MEXC client's own rules against the fake venue: code 510, signed headers, whole contracts, leverage limits, the
/// account stream's pushes (faults and stream drops common to every venue are the conformance suite's).
/// </summary>
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
    public async Task AnOrderSentWhileTheVenueThrottlesIsRejectedAsThrottledNotRetried()
    {
        _venue.Host.Fail(Submit, new InjectedFault(FaultKind.Answer, 200, "{\"success\":false,\"code\":510,\"message\":\"Requests are too frequent\"}"));

        var e = await Assert.ThrowsAsync<ExchangeError>(async () => await _mexc.Place(new OrderRequest("busy-1", FakeMexcVenue.Symbol, OrderSide.Buy, OrderType.Market, 0.5m)));

        Assert.Equal(Runtime.Execution.ExchangeErrorKind.Throttled, e.Kind);
        Assert.Equal(1, _venue.OrdersReceived);
    }

    [Fact]
    public async Task AReadAnsweredCode510IsRetried()
    {
        // MEXC's "excessive frequency of requests", sent in a 200 answer without a wait (the suite covers 429, 5xx and drops)
        const string assets = "/api/v1/private/account/assets";
        _venue.Host.Fail(assets, new InjectedFault(FaultKind.Answer, 200, "{\"success\":false,\"code\":510,\"message\":\"Requests are too frequent\"}"));

        var balance = Assert.Single(await _mexc.Balances());

        Assert.Equal(("USDT", 10_000m), (balance.Asset, balance.Total));
        Assert.Equal(2, _venue.Host.RequestsTo("GET", assets).Count);
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
}
