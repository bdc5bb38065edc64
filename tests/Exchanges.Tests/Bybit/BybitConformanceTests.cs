using StrategyLab.Exchanges.Bybit;
using StrategyLab.Exchanges.Bybit.Common;
using StrategyLab.Exchanges.Tests.Conformance;
using StrategyLab.Exchanges.Tests.Fakes;
using StrategyLab.Runtime.Execution;

namespace StrategyLab.Exchanges.Tests.Bybit;

/// <summary>The Bybit v5 linear client against its fake venue, through the venue-independent conformance suite.</summary>
public sealed class BybitConformanceTests : ExchangeConformance
{
    internal const string Key = "bybit-conformance-key-0123";
    internal const string Secret = "bybit-conformance-secret-3210";

    private FakeBybitVenue _venue = null!;

    protected override string VenueName => "bybit";

    protected override IReadOnlyDictionary<string, string> KeyEnvironment =>
        new Dictionary<string, string> { ["BYBIT_TESTNET_API_KEY"] = Key, ["BYBIT_TESTNET_API_SECRET"] = Secret };

    internal static BybitOptions Options(FakeBybitVenue venue) => new()
    {
        Environment = new BybitEnvironment(
            "fake", venue.Host.RestBase, new Uri(venue.Host.StreamBase, FakeBybitVenue.PublicPath), new Uri(venue.Host.StreamBase, FakeBybitVenue.PrivatePath), IsTestnet: true),
        RetryBaseDelay = TimeSpan.FromMilliseconds(10),
        RetryMaxDelay = TimeSpan.FromMilliseconds(100),
    };

    protected override async Task<IVenueScript> StartVenueAsync()
    {
        _venue = await FakeBybitVenue.StartAsync(Key, Secret);
        _venue.AddSymbol(new FakeBybitSymbol("BTCUSDT", 0.1m, 0.001m, 0.001m, 100_000m, 5m));
        _venue.AddSymbol(new FakeBybitSymbol("ETHUSDT", 0.01m, 0.001m, 0.001m, 100_000m, 5m));
        return new Script(_venue);
    }

    protected override Task StopVenueAsync() => _venue.DisposeAsync().AsTask();

    protected override Task<ClientUnderTest> ConnectAsync(ClientSettings settings)
    {
        // the retry delays are the defaults: a window's reset is waited up to the longest of them
        var options = Options(_venue) with
        {
            TimeProvider = settings.Time,
            Logger = settings.Logger,
            RequestTimeout = settings.RequestTimeout,
            MaxRetries = settings.MaxRetries,
            RetryBaseDelay = TimeSpan.FromSeconds(1),
            RetryMaxDelay = TimeSpan.FromSeconds(30),
            Jitter = () => 0.5,
            StreamReconnectBaseDelay = TimeSpan.FromMilliseconds(5),
            StreamReconnectMaxDelay = TimeSpan.FromMilliseconds(20),
        };
        return Task.FromResult(ClientUnderTest.Of(new BybitExchange(options, BybitCredentials.Of(settings.Key ?? Key, settings.Secret ?? Secret))));
    }

    /// <summary>
    /// The fake Bybit as the suite's script: calls are REST paths, a rate limit is 10006 with the window's reset time
    /// in <c>X-Bapi-Limit-Reset-Timestamp</c> (refused before anything was done, so an order may be sent again), the
    /// streams are subscriptions on <c>/v5/public/linear</c> and <c>/v5/private</c>, and a session ends by the venue
    /// closing the socket (Bybit has no listen key). A look-up starts at <c>/v5/order/realtime</c>.
    /// </summary>
    private sealed class Script(FakeBybitVenue venue) : FakeVenueScript(venue.Host)
    {
        public override string Symbol => "BTCUSDT";

        public override string SecondSymbol => "ETHUSDT";

        public override bool RefusesOrdersForRateBeforeActing => true;

        public override (decimal Maker, decimal Taker) Fees => (FakeBybitVenue.MakerFee, FakeBybitVenue.TakerFee);

        public override (string Key, string Secret) Keys => (Key, Secret);

        public override int MarketSubscriptions => Subscriptions(FakeBybitVenue.PublicPath, $"kline.1.{Symbol}");

        public override int AccountSessions => Subscriptions(FakeBybitVenue.PrivatePath, "\"order\"");

        public override void UseClock(Func<DateTimeOffset> now) => venue.Now = now;

        public override Task SetBook(string symbol, (decimal Price, decimal Quantity)[] bids, (decimal Price, decimal Quantity)[] asks)
        {
            venue.SetBook(symbol, bids, asks);
            return Task.CompletedTask;
        }

        public override Task Trade(decimal price, decimal quantity) => venue.TradeAsync(Symbol, price, quantity);

        public override Task PayFunding(decimal rate, decimal markPrice) => venue.PayFundingAsync(Symbol, rate, markPrice);

        public override void AddClosedBar(long openTime, decimal open, decimal high, decimal low, decimal close, decimal volume) =>
            venue.AddKline(Symbol, "1", openTime, open, high, low, close, volume);

        public override Task PushBar(long openTime, decimal open, decimal high, decimal low, decimal close, decimal volume, bool closed) =>
            venue.PushKlineAsync(Symbol, "1", openTime, 60_000, open, high, low, close, volume, closed);

        public override int LookUps(string clientOrderId) =>
            Host.RequestsTo("GET", "/v5/order/realtime").Count(r => r.Parameter("orderLinkId") == clientOrderId);

        public override void DropMarketStreams() => Host.DropStreams(FakeBybitVenue.PublicPath);

        public override Task ExpireAccountSession() => Host.CloseStreamsAsync(FakeBybitVenue.PrivatePath, null, "session ended");

        public override void DropAccountStreams() => Host.DropStreams(FakeBybitVenue.PrivatePath);

        public override IReadOnlyList<VenueOrder> Orders() =>
            [.. venue.Orders().Select(o => new VenueOrder(o.OrderLinkId, o.Symbol, Status(o.Status, o.RejectReason), o.Executed))];

        public override decimal Position(string symbol) => venue.Position(symbol).Amount;

        protected override (string Method, string Path) Route(VenueCall call) => call switch
        {
            VenueCall.Balances => ("GET", "/v5/account/wallet-balance"),
            VenueCall.Positions => ("GET", "/v5/position/list"),
            VenueCall.OpenOrders => ("GET", "/v5/order/realtime"),
            VenueCall.PlaceOrder => ("POST", "/v5/order/create"),
            VenueCall.OrderLookup => ("GET", "/v5/order/realtime"),
            _ => throw new ArgumentOutOfRangeException(nameof(call), call, "unknown call"),
        };

        protected override InjectedFault RateLimited(TimeSpan retryAfter) => venue.TooManyVisits((int)retryAfter.TotalSeconds);

        // subscribe requests handled on a path, for a topic
        private int Subscriptions(string path, string topic) =>
            Host.StreamMessages.Count(m => m.Path == path && m.Text.Contains("\"op\":\"subscribe\"", StringComparison.Ordinal) && m.Text.Contains(topic, StringComparison.Ordinal));

        // the orderStatus values of https://bybit-exchange.github.io/docs/v5/enum; a post-only order cancelled because it
        // would take is expired, as the runtime names an order the venue ended
        private static OrderStatus Status(string status, string rejectReason) => status switch
        {
            "New" or "Untriggered" or "Triggered" => OrderStatus.New,
            "PartiallyFilled" => OrderStatus.PartiallyFilled,
            "Filled" => OrderStatus.Filled,
            "Cancelled" when rejectReason == "EC_PostOnlyWillTakeLiquidity" => OrderStatus.Expired,
            "Cancelled" or "PartiallyFilledCanceled" or "Deactivated" => OrderStatus.Canceled,
            "Rejected" => OrderStatus.Rejected,
            _ => throw new ArgumentOutOfRangeException(nameof(status), status, "not a Bybit order status"),
        };
    }
}
