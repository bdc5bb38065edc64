using StrategyLab.Exchanges.Mexc;
using StrategyLab.Exchanges.Mexc.Common;
using StrategyLab.Exchanges.Tests.Conformance;
using StrategyLab.Exchanges.Tests.Fakes;
using StrategyLab.Runtime.Execution;

namespace StrategyLab.Exchanges.Tests.Mexc;

/// <summary>The MEXC contract client against its fake venue, through the venue-independent conformance suite.</summary>
public sealed class MexcConformanceTests : ExchangeConformance
{
    internal const string Key = "mx0conformance-access-key";
    internal const string Secret = "conformance-secret-0123456789abcdef";

    private FakeMexcVenue _venue = null!;

    protected override string VenueName => "mexc";

    protected override IReadOnlyDictionary<string, string> KeyEnvironment =>
        new Dictionary<string, string> { ["MEXC_API_KEY"] = Key, ["MEXC_API_SECRET"] = Secret };

    internal static MexcFuturesOptions Options(FakeMexcVenue venue) => new()
    {
        Environment = new MexcEnvironment("fake", venue.Host.RestBase, new Uri(venue.Host.StreamBase, "edge")),
        RetryBaseDelay = TimeSpan.Zero,
        RetryMaxDelay = TimeSpan.Zero,
        StreamReconnectBaseDelay = TimeSpan.Zero,
        StreamReconnectMaxDelay = TimeSpan.Zero,
        RequestsPerWindow = 10_000,
    };

    protected override async Task<IVenueScript> StartVenueAsync()
    {
        _venue = await FakeMexcVenue.StartAsync(Key, Secret);
        return new Script(_venue);
    }

    protected override Task StopVenueAsync() => _venue.DisposeAsync().AsTask();

    protected override async Task<ClientUnderTest> ConnectAsync(ClientSettings settings)
    {
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
        var client = new MexcFuturesExchange(options, MexcCredentials.Of(settings.Key ?? Key, settings.Secret ?? Secret));

        // the account opens in hedge mode and the client trades one-way; a client with wrong keys could not change it
        if (settings.Key is null && settings.Secret is null)
        {
            await client.UseOneWayMode();
        }

        return ClientUnderTest.Of(client);
    }

    /// <summary>
    /// The fake MEXC as the suite's script: calls are REST paths; a rate limit is HTTP 429 with Retry-After and MEXC's
    /// code 510 in the body (see tests/Exchanges.Tests/TestData/mexc/README.md); market and account streams share
    /// <c>/edge</c>, told apart by subscription and login; a session ends by the venue closing the socket (MEXC has no
    /// listen key); a push does not say whether its bar has closed, so <see cref="PushBar"/> ignores the flag.
    /// </summary>
    private sealed class Script(FakeMexcVenue venue) : FakeVenueScript(venue.Host)
    {
        public override string Symbol => FakeMexcVenue.Symbol;

        public override string SecondSymbol => FakeMexcVenue.SecondSymbol;

        public override decimal MinNotional => 0m;

        public override (decimal Maker, decimal Taker) Fees => (FakeMexcVenue.MakerFee, FakeMexcVenue.TakerFee);

        public override (string Key, string Secret) Keys => (Key, Secret);

        public override int MarketSubscriptions => Commands("sub.kline");

        public override int AccountSessions => venue.Logins;

        public override void UseClock(Func<DateTimeOffset> now) => venue.Now = now;

        public override Task SetBook(string symbol, (decimal Price, decimal Quantity)[] bids, (decimal Price, decimal Quantity)[] asks)
        {
            venue.SetBook(symbol, bids, asks);
            return Task.CompletedTask;
        }

        public override Task Trade(decimal price, decimal quantity) => venue.TradeAsync(price, quantity);

        public override Task PayFunding(decimal rate, decimal markPrice) => venue.PayFundingAsync(rate, markPrice);

        public override void AddClosedBar(long openTime, decimal open, decimal high, decimal low, decimal close, decimal volume) =>
            venue.AddKline(openTime, open, high, low, close, volume);

        public override Task PushBar(long openTime, decimal open, decimal high, decimal low, decimal close, decimal volume, bool closed) =>
            venue.PushKlineAsync(openTime, open, high, low, close, volume);

        public override int LookUps(string clientOrderId) =>
            Host.RequestsTo("GET", "/api/v1/private/order/external/*").Count(r => r.Path.EndsWith("/" + clientOrderId, StringComparison.Ordinal));

        public override void DropMarketStreams() => Host.DropStreams(FakeMexcVenue.StreamPath, FakeMexcVenue.KlineTag);

        public override Task ExpireAccountSession() => Host.CloseStreamsAsync(FakeMexcVenue.StreamPath, FakeMexcVenue.LoggedInTag, "session ended");

        public override void DropAccountStreams() => Host.DropStreams(FakeMexcVenue.StreamPath, FakeMexcVenue.LoggedInTag);

        public override IReadOnlyList<VenueOrder> Orders() =>
            [.. venue.Orders().Select(o => new VenueOrder(o.ExternalOid, o.Symbol, Status(o.State, o.ErrorCode, o.Executed), o.Executed))];

        public override decimal Position(string symbol) => venue.Position(symbol);

        protected override (string Method, string Path) Route(VenueCall call) => call switch
        {
            VenueCall.Balances => ("GET", "/api/v1/private/account/assets"),
            VenueCall.Positions => ("GET", "/api/v1/private/position/open_positions"),
            VenueCall.OpenOrders => ("GET", "/api/v1/private/order/list/open_orders*"),
            VenueCall.PlaceOrder => ("POST", "/api/v1/private/order/submit"),
            VenueCall.OrderLookup => ("GET", "/api/v1/private/order/external/*"),
            _ => throw new ArgumentOutOfRangeException(nameof(call), call, "unknown call"),
        };

        protected override InjectedFault RateLimited(TimeSpan retryAfter) =>
            new(FaultKind.Answer, 429, "{\"success\":false,\"code\":510,\"message\":\"Excessive frequency of requests\"}", (int)retryAfter.TotalSeconds);

        private int Commands(string method) =>
            Host.StreamMessages.Count(m => m.Path == FakeMexcVenue.StreamPath && m.Text.Contains("\"method\":\"" + method + "\"", StringComparison.Ordinal));

        // order states of https://mexcdevelop.github.io/apidocs/contract_v1_en (1 uninformed, 2 uncompleted, 3 completed,
        // 4 cancelled, 5 invalid); cancelled by the venue for its time in force (IOC 18, FOK 19, post-only 20, market's
        // rest 21) is an expiry, as the runtime names an order the venue ended
        private static OrderStatus Status(int state, int errorCode, decimal executed) => state switch
        {
            1 or 2 => executed > 0m ? OrderStatus.PartiallyFilled : OrderStatus.New,
            3 => OrderStatus.Filled,
            4 when errorCode is 18 or 19 or 20 or 21 => OrderStatus.Expired,
            4 => OrderStatus.Canceled,
            5 => OrderStatus.Rejected,
            _ => throw new ArgumentOutOfRangeException(nameof(state), state, "not a MEXC order state"),
        };
    }
}
