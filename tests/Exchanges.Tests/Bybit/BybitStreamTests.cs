using StrategyLab.Exchanges.Bybit;
using StrategyLab.Exchanges.Bybit.Common;
using StrategyLab.Runtime.Data;
using StrategyLab.Runtime.Execution;

namespace StrategyLab.Exchanges.Tests.Bybit;

/// <summary>
/// Bybit's public kline stream and private stream against the fake venue's websockets: subscriptions, authentication,
/// heartbeats and the private stream's messages (drops, resubscription and REST backfill are the conformance suite's).
/// These run on the real clock with reconnect delays of milliseconds.
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
