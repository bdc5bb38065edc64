using StrategyLab.Exchanges.Mexc;
using StrategyLab.Exchanges.Mexc.Common;
using StrategyLab.Exchanges.Tests.Conformance;
using StrategyLab.Runtime.Execution;

namespace StrategyLab.Exchanges.Tests.Mexc;

/// <summary>The MEXC contract client against its fake venue, through the venue-independent conformance suite.</summary>
public sealed class MexcConformanceTests : ExchangeConformance
{
    internal const string Key = "mx0conformance-access-key";
    internal const string Secret = "conformance-secret-0123456789abcdef";

    private FakeMexcVenue _venue = null!;
    private MexcFuturesExchange _exchange = null!;

    protected override async Task<(IExchange Exchange, IVenueScript Venue)> StartAsync()
    {
        _venue = await FakeMexcVenue.StartAsync(Key, Secret);
        _exchange = new MexcFuturesExchange(Options(_venue), MexcCredentials.Of(Key, Secret));
        await _exchange.UseOneWayMode();
        return (_exchange, new Script(_venue));
    }

    protected override async Task StopAsync()
    {
        _exchange.Dispose();
        await _venue.DisposeAsync();
    }

    internal static MexcFuturesOptions Options(FakeMexcVenue venue) => new()
    {
        Environment = new MexcEnvironment("fake", venue.Host.RestBase, new Uri(venue.Host.StreamBase, "edge")),
        RetryBaseDelay = TimeSpan.Zero,
        RetryMaxDelay = TimeSpan.Zero,
        StreamReconnectBaseDelay = TimeSpan.Zero,
        StreamReconnectMaxDelay = TimeSpan.Zero,
        RequestsPerWindow = 10_000,
    };

    private sealed class Script(FakeMexcVenue venue) : IVenueScript
    {
        public string Symbol => FakeMexcVenue.Symbol;

        public decimal MinNotional => 0m;

        public string MarginAsset => "USDT";

        public decimal StartingBalance => 10_000m;

        public (decimal Maker, decimal Taker) Fees => (FakeMexcVenue.MakerFee, FakeMexcVenue.TakerFee);

        public int OrdersReceived => venue.OrdersReceived;

        public Task SetBook((decimal Price, decimal Quantity)[] bids, (decimal Price, decimal Quantity)[] asks)
        {
            venue.SetBook(bids, asks);
            return Task.CompletedTask;
        }

        public Task Trade(decimal price, decimal quantity) => venue.TradeAsync(price, quantity);

        public Task PayFunding(decimal rate, decimal markPrice) => venue.PayFundingAsync(rate, markPrice);

        public void AddClosedBar(long openTime, decimal open, decimal high, decimal low, decimal close, decimal volume) =>
            venue.AddKline(openTime, open, high, low, close, volume);
    }
}
