using StrategyLab.Exchanges.Binance;
using StrategyLab.Exchanges.Binance.Common;
using StrategyLab.Runtime.Execution;

namespace StrategyLab.Exchanges.Tests.Binance;

/// <summary>
/// The user data stream against the fake venue's websockets: its messages, the listen key's keepalive, a key the
/// keepalive finds gone (drops, an expired key and the kline stream's backfill are the conformance suite's). These run
/// on the real clock with reconnect delays of milliseconds.
/// </summary>
public sealed class BinanceFuturesStreamTests : IAsyncLifetime
{
    private const string Key = "stream-tests-api-key-QWERTY";
    private const string Secret = "stream-tests-secret-YTREWQ";
    private const string Symbol = "BTCUSDT";

    // a guard against a hang, not a limit on how fast anything must be
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly ListLogger _log = new();
    private readonly SemaphoreSlim _opened = new(0);
    private FakeBinanceFuturesVenue _venue = null!;
    private BinanceFuturesExchange _exchange = null!;

    public async Task InitializeAsync()
    {
        _venue = await FakeBinanceFuturesVenue.StartAsync(Key, Secret);
        _venue.AddSymbol(new FakeSymbol(Symbol, 0.1m, 0.001m, 0.001m, 1000m, 5m));
        _venue.SetBook(Symbol, [(99.9m, 5m)], [(100.1m, 5m)]);
        _venue.Host.StreamOpened += _ => _opened.Release();
        _exchange = new BinanceFuturesExchange(
            new BinanceFuturesOptions
            {
                Environment = new BinanceEnvironment("fake", _venue.Host.RestBase, _venue.Host.StreamBase, IsTestnet: true),
                StreamReconnectBaseDelay = TimeSpan.FromMilliseconds(5),
                StreamReconnectMaxDelay = TimeSpan.FromMilliseconds(20),
                ListenKeyKeepalive = TimeSpan.FromMilliseconds(100),
                Logger = _log,
            },
            BinanceCredentials.Of(Key, Secret));
    }

    public async Task DisposeAsync()
    {
        _exchange.Dispose();
        await _venue.DisposeAsync();
    }

    private async Task Opened()
    {
        Assert.True(await _opened.WaitAsync(Patience), "the client never opened the stream");
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
    public async Task TheUserStreamReportsOrdersFillsBalancesAndPositions()
    {
        using var cancel = new CancellationTokenSource();
        await using var stream = _exchange.StreamAccount(cancel.Token).GetAsyncEnumerator(cancel.Token);
        var first = Next(stream);
        await Opened();

        await _exchange.Place(new OrderRequest("stream-market", Symbol, OrderSide.Buy, OrderType.Market, 1m));

        var accepted = Assert.IsType<OrderEvent>(await first);
        Assert.Equal(("stream-market", OrderStatus.New, (ExecutionReport?)null), (accepted.Order.ClientOrderId, accepted.Order.Status, accepted.Execution));
        var filled = await NextOf<OrderEvent>(stream, e => e.Execution is not null);
        Assert.Equal((OrderStatus.Filled, 1m, 100.1m), (filled.Order.Status, filled.Execution!.Quantity, filled.Execution.Price));
        Assert.Equal((100.1m * FakeBinanceFuturesVenue.TakerFee, "USDT", false), (filled.Execution.Fee, filled.Execution.FeeAsset, filled.Execution.Maker));
        var balance = await NextOf<BalanceEvent>(stream);
        Assert.Equal(("USDT", 10_000m - (100.1m * FakeBinanceFuturesVenue.TakerFee), "ORDER"), (balance.Asset, balance.WalletBalance, balance.Reason));
        var position = await NextOf<PositionEvent>(stream);
        Assert.Equal(new VenuePosition(Symbol, 1m, 100.1m), position.Position);
        await cancel.CancelAsync();
    }

    [Fact]
    public async Task TheListenKeyIsKeptAlive()
    {
        using var cancel = new CancellationTokenSource();
        await using var stream = _exchange.StreamAccount(cancel.Token).GetAsyncEnumerator(cancel.Token);
        var pending = stream.MoveNextAsync();
        await Opened();

        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (_venue.Host.RequestsTo("PUT", "/fapi/v1/listenKey").Count < 2)
        {
            Assert.True(waited.Elapsed < Patience, "no two keepalives came");
            await Task.Delay(20);
        }

        Assert.All(_venue.Host.RequestsTo("PUT", "/fapi/v1/listenKey"), r => Assert.Equal(Key, r.Headers["X-MBX-APIKEY"]));
        Assert.Single(_venue.Host.RequestsTo("POST", "/fapi/v1/listenKey"));
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await pending);
    }

    [Fact]
    public async Task AListenKeyTheKeepaliveFindsGoneIsReplaced()
    {
        using var cancel = new CancellationTokenSource();
        await using var stream = _exchange.StreamAccount(cancel.Token).GetAsyncEnumerator(cancel.Token);
        var first = Next(stream);
        await Opened();

        _venue.ForgetListenKey();

        var gap = Assert.IsType<AccountStreamGap>(await first);
        Assert.Equal("the listen key no longer exists", gap.Reason);
        Assert.NotNull(_venue.ListenKey);
        await cancel.CancelAsync();
    }
}
