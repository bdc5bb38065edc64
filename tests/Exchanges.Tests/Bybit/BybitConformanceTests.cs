using StrategyLab.Exchanges.Bybit;
using StrategyLab.Exchanges.Bybit.Common;
using StrategyLab.Exchanges.Tests.Conformance;
using StrategyLab.Runtime.Execution;

namespace StrategyLab.Exchanges.Tests.Bybit;

/// <summary>The Bybit v5 linear client against its fake venue, through the venue-independent conformance suite.</summary>
public sealed class BybitConformanceTests : ExchangeConformance
{
    internal const string Key = "bybit-conformance-key-0123";
    internal const string Secret = "bybit-conformance-secret-3210";

    private FakeBybitVenue _venue = null!;
    private BybitExchange _exchange = null!;

    internal static BybitOptions Options(FakeBybitVenue venue) => new()
    {
        Environment = new BybitEnvironment(
            "fake", venue.Host.RestBase, new Uri(venue.Host.StreamBase, FakeBybitVenue.PublicPath), new Uri(venue.Host.StreamBase, FakeBybitVenue.PrivatePath), IsTestnet: true),
        RetryBaseDelay = TimeSpan.FromMilliseconds(10),
        RetryMaxDelay = TimeSpan.FromMilliseconds(100),
    };

    protected override async Task<(IExchange Exchange, IVenueScript Venue)> StartAsync()
    {
        _venue = await FakeBybitVenue.StartAsync(Key, Secret);
        _venue.AddSymbol(new FakeBybitSymbol("BTCUSDT", 0.1m, 0.001m, 0.001m, 100_000m, 5m));
        _exchange = new BybitExchange(Options(_venue), BybitCredentials.Of(Key, Secret));
        return (_exchange, new Script(_venue));
    }

    protected override async Task StopAsync()
    {
        _exchange.Dispose();
        await _venue.DisposeAsync();
    }

    private sealed class Script(FakeBybitVenue venue) : IVenueScript
    {
        public string Symbol => "BTCUSDT";

        public string MarginAsset => "USDT";

        public decimal StartingBalance => 10_000m;

        public (decimal Maker, decimal Taker) Fees => (FakeBybitVenue.MakerFee, FakeBybitVenue.TakerFee);

        public int OrdersReceived => venue.Host.RequestsTo("POST", "/v5/order/create").Count;

        public Task SetBook((decimal Price, decimal Quantity)[] bids, (decimal Price, decimal Quantity)[] asks)
        {
            venue.SetBook(Symbol, bids, asks);
            return Task.CompletedTask;
        }

        public Task Trade(decimal price, decimal quantity) => venue.TradeAsync(Symbol, price, quantity);

        public Task PayFunding(decimal rate, decimal markPrice) => venue.PayFundingAsync(Symbol, rate, markPrice);

        public void AddClosedBar(long openTime, decimal open, decimal high, decimal low, decimal close, decimal volume) =>
            venue.AddKline(Symbol, "1", openTime, open, high, low, close, volume);
    }
}
