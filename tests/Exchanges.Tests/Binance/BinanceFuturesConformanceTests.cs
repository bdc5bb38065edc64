using System.Globalization;
using StrategyLab.Exchanges.Binance;
using StrategyLab.Exchanges.Binance.Common;
using StrategyLab.Exchanges.Tests.Conformance;
using StrategyLab.Exchanges.Tests.Fakes;
using StrategyLab.Runtime.Execution;

namespace StrategyLab.Exchanges.Tests.Binance;

/// <summary>The Binance USDⓈ-M client against its fake venue, through the venue-independent conformance suite.</summary>
public sealed class BinanceFuturesConformanceTests : ExchangeConformance
{
    internal const string Key = "conformance-api-key-0123456789";
    internal const string Secret = "conformance-secret-9876543210";

    private FakeBinanceFuturesVenue _venue = null!;

    protected override string VenueName => "binance";

    protected override IReadOnlyDictionary<string, string> KeyEnvironment =>
        new Dictionary<string, string> { ["BINANCE_TESTNET_API_KEY"] = Key, ["BINANCE_TESTNET_API_SECRET"] = Secret };

    protected override async Task<IVenueScript> StartVenueAsync()
    {
        _venue = await FakeBinanceFuturesVenue.StartAsync(Key, Secret);
        _venue.AddSymbol(new FakeSymbol("BTCUSDT", 0.1m, 0.001m, 0.001m, 100_000m, 5m));
        _venue.AddSymbol(new FakeSymbol("ETHUSDT", 0.01m, 0.001m, 0.001m, 100_000m, 5m));
        return new Script(_venue);
    }

    protected override Task StopVenueAsync() => _venue.DisposeAsync().AsTask();

    protected override Task<ClientUnderTest> ConnectAsync(ClientSettings settings)
    {
        var options = new BinanceFuturesOptions
        {
            Environment = new BinanceEnvironment("fake", _venue.Host.RestBase, _venue.Host.StreamBase, IsTestnet: true),
            TimeProvider = settings.Time,
            Logger = settings.Logger,
            RequestTimeout = settings.RequestTimeout,
            MaxRetries = settings.MaxRetries,
            Jitter = () => 0.5,
            StreamReconnectBaseDelay = TimeSpan.FromMilliseconds(5),
            StreamReconnectMaxDelay = TimeSpan.FromMilliseconds(20),
        };
        return Task.FromResult(ClientUnderTest.Of(new BinanceFuturesExchange(options, BinanceCredentials.Of(settings.Key ?? Key, settings.Secret ?? Secret))));
    }

    internal static string[] Kline(long openTime, decimal open, decimal high, decimal low, decimal close, decimal volume)
    {
        static string T(decimal v) => v.ToString(CultureInfo.InvariantCulture);
        return
        [
            openTime.ToString(CultureInfo.InvariantCulture), T(open), T(high), T(low), T(close), T(volume),
            (openTime + 59_999).ToString(CultureInfo.InvariantCulture), T(volume * close), "10", T(volume / 2), T(volume * close / 2),
        ];
    }

    /// <summary>
    /// The fake Binance as the suite's script: calls are REST paths, a rate limit is 429 with Retry-After, the kline
    /// stream is <c>/ws/btcusdt@kline_1m</c> and the account stream <c>/ws/&lt;listenKey&gt;</c>, whose session ends
    /// when the listen key expires.
    /// </summary>
    private sealed class Script : FakeVenueScript
    {
        private const string KlineStream = "/ws/btcusdt@kline_1m";
        private readonly FakeBinanceFuturesVenue _venue;
        private int _marketStreams;
        private int _accountStreams;

        public Script(FakeBinanceFuturesVenue venue)
            : base(venue.Host)
        {
            _venue = venue;
            venue.Host.StreamOpened += path =>
            {
                if (path == KlineStream)
                {
                    Interlocked.Increment(ref _marketStreams);
                }
                else if (!path.Contains("@kline_", StringComparison.Ordinal))
                {
                    Interlocked.Increment(ref _accountStreams);
                }
            };
        }

        public override string Symbol => "BTCUSDT";

        public override string SecondSymbol => "ETHUSDT";

        public override (decimal Maker, decimal Taker) Fees => (FakeBinanceFuturesVenue.MakerFee, FakeBinanceFuturesVenue.TakerFee);

        public override (string Key, string Secret) Keys => (Key, Secret);

        public override int MarketSubscriptions => Volatile.Read(ref _marketStreams);

        public override int AccountSessions => Volatile.Read(ref _accountStreams);

        public override void UseClock(Func<DateTimeOffset> now) => _venue.Now = now;

        public override Task SetBook(string symbol, (decimal Price, decimal Quantity)[] bids, (decimal Price, decimal Quantity)[] asks)
        {
            _venue.SetBook(symbol, bids, asks);
            return Task.CompletedTask;
        }

        public override Task Trade(decimal price, decimal quantity) => _venue.TradeAsync(Symbol, price, quantity);

        public override Task PayFunding(decimal rate, decimal markPrice) => _venue.PayFundingAsync(Symbol, rate, markPrice);

        public override void AddClosedBar(long openTime, decimal open, decimal high, decimal low, decimal close, decimal volume) =>
            _venue.AddKline(Symbol, "1m", Kline(openTime, open, high, low, close, volume));

        public override Task PushBar(long openTime, decimal open, decimal high, decimal low, decimal close, decimal volume, bool closed) =>
            _venue.PushKlineAsync(Symbol, "1m", Kline(openTime, open, high, low, close, volume), closed);

        public override int LookUps(string clientOrderId) =>
            Host.RequestsTo("GET", "/fapi/v1/order").Count(r => r.Parameter("origClientOrderId") == clientOrderId);

        public override void DropMarketStreams() => Host.DropStreams(KlineStream);

        public override Task ExpireAccountSession() => _venue.ExpireListenKeyAsync();

        public override void DropAccountStreams()
        {
            if (_venue.ListenKey is { } key)
            {
                Host.DropStreams("/ws/" + key);
            }
        }

        public override IReadOnlyList<VenueOrder> Orders() =>
            [.. _venue.Orders().Select(o => new VenueOrder(o.ClientOrderId, o.Symbol, Status(o.Status), o.Executed))];

        public override decimal Position(string symbol) => _venue.Position(symbol).Amount;

        protected override (string Method, string Path) Route(VenueCall call) => call switch
        {
            VenueCall.Balances => ("GET", "/fapi/v3/balance"),
            VenueCall.Positions => ("GET", "/fapi/v3/positionRisk"),
            VenueCall.OpenOrders => ("GET", "/fapi/v1/openOrders"),
            VenueCall.PlaceOrder => ("POST", "/fapi/v1/order"),
            VenueCall.OrderLookup => ("GET", "/fapi/v1/order"),
            _ => throw new ArgumentOutOfRangeException(nameof(call), call, "unknown call"),
        };

        protected override InjectedFault RateLimited(TimeSpan retryAfter) => InjectedFault.TooManyRequests((int)retryAfter.TotalSeconds);

        // the order statuses of https://developers.binance.com/docs/derivatives/usds-margined-futures/common-definition
        private static OrderStatus Status(string status) => status switch
        {
            "NEW" => OrderStatus.New,
            "PARTIALLY_FILLED" => OrderStatus.PartiallyFilled,
            "FILLED" => OrderStatus.Filled,
            "CANCELED" => OrderStatus.Canceled,
            "REJECTED" => OrderStatus.Rejected,
            "EXPIRED" => OrderStatus.Expired,
            _ => throw new ArgumentOutOfRangeException(nameof(status), status, "not a Binance order status"),
        };
    }
}
