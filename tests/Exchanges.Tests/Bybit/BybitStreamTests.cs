using StrategyLab.Exchanges.Bybit;
using StrategyLab.Exchanges.Bybit.Common;
using StrategyLab.Runtime.Data;
using StrategyLab.Runtime.Execution;

namespace StrategyLab.Exchanges.Tests.Bybit;

/// <summary>
/// Bybit's public kline stream and private stream against the fake venue's websockets: subscriptions, authentication,
/// heartbeats, drops, resubscription and REST backfill. These run on the real clock with reconnect delays of milliseconds.
/// </summary>
public sealed class BybitStreamTests : IAsyncLifetime
{
    private const string Key = "bybit-stream-tests-key-QWERTY";
    private const string Secret = "bybit-stream-tests-secret-YTREWQ";
    private const string Symbol = "BTCUSDT";

    // a guard against a hang, not a limit on how fast anything must be
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly ListLogger _log = new();
    private FakeBybitVenue _venue = null!;

    public async Task InitializeAsync()
    {
        _venue = await FakeBybitVenue.StartAsync(Key, Secret);
        _venue.AddSymbol(new FakeBybitSymbol(Symbol, 0.1m, 0.001m, 0.001m, 1000m, 5m));
        _venue.SetBook(Symbol, [(99.9m, 5m)], [(100.1m, 5m)]);
    }

    public Task DisposeAsync() => _venue.DisposeAsync().AsTask();

    private BybitExchange Exchange(string secret = Secret) => new(
        BybitConformanceTests.Options(_venue) with
        {
            StreamReconnectBaseDelay = TimeSpan.FromMilliseconds(5),
            StreamReconnectMaxDelay = TimeSpan.FromMilliseconds(20),
            HeartbeatInterval = TimeSpan.FromMilliseconds(50),
            Logger = _log,
        },
        BybitCredentials.Of(Key, secret));

    private async Task Subscribed(string path, string topic, int times = 1)
    {
        var since = DateTime.UtcNow;
        while (_venue.Host.OpenStreams(path, topic) != times)
        {
            Assert.True(DateTime.UtcNow - since < Patience, $"the client never subscribed to {topic}");
            await Task.Delay(10);
        }
    }

    private static async Task<T> Next<T>(IAsyncEnumerator<T> stream)
    {
        var next = stream.MoveNextAsync().AsTask();
        Assert.Same(next, await Task.WhenAny(next, Task.Delay(Patience)));
        Assert.True(await next, "the stream ended");
        return stream.Current;
    }

    private static async Task<T> NextOf<T>(IAsyncEnumerator<AccountEvent> stream, Func<T, bool>? match = null)
        where T : AccountEvent
    {
        while (true)
        {
            if (await Next(stream) is T wanted && (match is null || match(wanted)))
            {
                return wanted;
            }
        }
    }

    [Fact]
    public async Task KlinesArriveCompleteAndInOrderAcrossADroppedSocketWithResubscriptionAndBackfill()
    {
        using var exchange = Exchange();
        var start = ((DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 60_000) - 30) * 60_000;
        void Add(int i) => _venue.AddKline(Symbol, "1", start + (i * 60_000L), 100m + i, 101m + i, 99m + i, 100.5m + i, 1m + i);
        Task Push(int i, bool closed) => _venue.PushKlineAsync(Symbol, "1", start + (i * 60_000L), 60_000, 100m + i, 101m + i, 99m + i, 100.5m + i, 1m + i, closed);
        for (var i = 0; i < 2; i++)
        {
            Add(i);
        }

        using var cancel = new CancellationTokenSource();
        await using var stream = exchange.StreamBars(Symbol, Interval.Parse("1m"), start, cancel.Token).GetAsyncEnumerator(cancel.Token);
        var delivered = new List<VenueBar> { await Next(stream), await Next(stream) };
        await Subscribed(FakeBybitVenue.PublicPath, $"kline.1.{Symbol}");

        // bar 2 closes on the stream; an update of bar 3 still open is no bar
        Add(2);
        await Push(2, closed: true);
        await Push(3, closed: false);
        delivered.Add(await Next(stream));

        // bars 3 and 4 close while the socket is down: they come over REST after the reconnect, which subscribes again
        Add(3);
        Add(4);
        _venue.Host.DropStreams("/v5/");
        delivered.Add(await Next(stream));
        delivered.Add(await Next(stream));
        await Subscribed(FakeBybitVenue.PublicPath, $"kline.1.{Symbol}");
        Add(5);
        await Push(5, closed: true);
        delivered.Add(await Next(stream));

        Assert.Equal(Enumerable.Range(0, 6).Select(i => start + (i * 60_000L)), delivered.Select(b => b.OpenTime));
        Assert.Equal(new VenueBar(Symbol, start + 120_000, 102, 103, 101, 102.5, 3), delivered[2]);
        Assert.Contains(_log.Messages, m => m.Contains("BTCUSDT 1m klines", StringComparison.Ordinal) && m.Contains("reconnecting", StringComparison.Ordinal));
        await cancel.CancelAsync();
    }

    [Fact]
    public async Task AnIdleStreamSendsHeartbeats()
    {
        using var exchange = Exchange();
        using var cancel = new CancellationTokenSource();
        await using var stream = exchange.StreamBars(Symbol, Interval.Parse("1m"), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), cancel.Token).GetAsyncEnumerator(cancel.Token);
        var next = stream.MoveNextAsync();
        await Subscribed(FakeBybitVenue.PublicPath, $"kline.1.{Symbol}");

        // every 50 ms here, 20 s by default: three pings are heard however slow the machine is
        var since = DateTime.UtcNow;
        while (_venue.Pings < 3)
        {
            Assert.True(DateTime.UtcNow - since < Patience, "the client sent no heartbeat");
            await Task.Delay(10);
        }

        Assert.Equal(1, _venue.Host.OpenStreams(FakeBybitVenue.PublicPath));
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await next);
    }

    [Fact]
    public async Task ThePrivateStreamAuthenticatesAndReportsOrdersFillsPositionsAndBalances()
    {
        using var exchange = Exchange();
        using var cancel = new CancellationTokenSource();
        await using var stream = exchange.StreamAccount(cancel.Token).GetAsyncEnumerator(cancel.Token);
        var first = Next(stream);
        await Subscribed(FakeBybitVenue.PrivatePath, "execution");

        await exchange.Place(new OrderRequest("stream-market", Symbol, OrderSide.Buy, OrderType.Market, 1m));

        var filled = Assert.IsType<OrderEvent>(await first);
        Assert.Equal(("stream-market", OrderStatus.Filled, 1m, 100.1m), (filled.Order.ClientOrderId, filled.Order.Status, filled.Order.FilledQuantity, filled.Order.AverageFillPrice));
        Assert.Equal((1m, 100.1m, 100.1m * FakeBybitVenue.TakerFee, "USDT", false), (filled.Execution!.Quantity, filled.Execution.Price, filled.Execution.Fee, filled.Execution.FeeAsset, filled.Execution.Maker));
        var position = await NextOf<PositionEvent>(stream);
        Assert.Equal((Symbol, 1m, 100.1m), (position.Position.Symbol, position.Position.Quantity, position.Position.EntryPrice));
        var balance = await NextOf<BalanceEvent>(stream);
        Assert.Equal(("USDT", 10_000m - (100.1m * FakeBybitVenue.TakerFee)), (balance.Asset, balance.WalletBalance));

        // a dropped socket: the stream authenticates and subscribes again, and says changes may have been missed
        _venue.Host.DropStreams("/v5/");
        Assert.IsType<AccountStreamGap>(await NextOf<AccountStreamGap>(stream));
        await Subscribed(FakeBybitVenue.PrivatePath, "order");
        await exchange.Place(new OrderRequest("after-gap", Symbol, OrderSide.Buy, OrderType.Limit, 0.1m, 99m, TimeInForce: TimeInForce.PostOnly));
        var resting = await NextOf<OrderEvent>(stream, e => e.Order.ClientOrderId == "after-gap");
        Assert.Equal(OrderStatus.New, resting.Order.Status);
        await cancel.CancelAsync();
    }

    [Fact]
    public async Task AWrongSecretEndsThePrivateStreamAsAnAuthenticationFailureWithoutTheSecret()
    {
        using var exchange = Exchange(secret: "a-wrong-secret-for-the-stream");
        await using var stream = exchange.StreamAccount().GetAsyncEnumerator();

        var next = stream.MoveNextAsync().AsTask();
        Assert.Same(next, await Task.WhenAny(next, Task.Delay(Patience)));
        var e = await Assert.ThrowsAsync<ExchangeError>(() => next);

        Assert.Equal(Runtime.Execution.ExchangeErrorKind.Authentication, e.Kind);
        Assert.Equal("Bybit refused the stream's auth: Invalid sign", e.Message);
        Assert.Equal(0, _venue.Host.OpenStreams(FakeBybitVenue.PrivatePath, "order"));
    }
}
