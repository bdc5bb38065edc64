using System.Globalization;
using StrategyLab.Exchanges.Binance;
using StrategyLab.Exchanges.Binance.Common;
using StrategyLab.Exchanges.Tests.Conformance;
using StrategyLab.Runtime.Execution;

namespace StrategyLab.Exchanges.Tests.Binance;

/// <summary>The Binance USDⓈ-M client against its fake venue, through the venue-independent conformance suite.</summary>
public sealed class BinanceFuturesConformanceTests : ExchangeConformance
{
    internal const string Key = "conformance-api-key-0123456789";
    internal const string Secret = "conformance-secret-9876543210";

    private FakeBinanceFuturesVenue _venue = null!;
    private BinanceFuturesExchange _exchange = null!;

    protected override async Task<(IExchange Exchange, IVenueScript Venue)> StartAsync()
    {
        _venue = await FakeBinanceFuturesVenue.StartAsync(Key, Secret);
        _venue.AddSymbol(new FakeSymbol("BTCUSDT", 0.1m, 0.001m, 0.001m, 100_000m, 5m));
        var options = new BinanceFuturesOptions
        {
            Environment = new BinanceEnvironment("fake", _venue.Host.RestBase, _venue.Host.StreamBase, IsTestnet: true),
        };
        _exchange = new BinanceFuturesExchange(options, BinanceCredentials.Of(Key, Secret));
        return (_exchange, new Script(_venue));
    }

    protected override async Task StopAsync()
    {
        _exchange.Dispose();
        await _venue.DisposeAsync();
    }

    private sealed class Script(FakeBinanceFuturesVenue venue) : IVenueScript
    {
        public string Symbol => "BTCUSDT";

        public string MarginAsset => "USDT";

        public decimal StartingBalance => 10_000m;

        public (decimal Maker, decimal Taker) Fees => (FakeBinanceFuturesVenue.MakerFee, FakeBinanceFuturesVenue.TakerFee);

        public int OrdersReceived => venue.Host.RequestsTo("POST", "/fapi/v1/order").Count;

        public Task SetBook((decimal Price, decimal Quantity)[] bids, (decimal Price, decimal Quantity)[] asks)
        {
            venue.SetBook(Symbol, bids, asks);
            return Task.CompletedTask;
        }

        public Task Trade(decimal price, decimal quantity) => venue.TradeAsync(Symbol, price, quantity);

        public Task PayFunding(decimal rate, decimal markPrice) => venue.PayFundingAsync(Symbol, rate, markPrice);

        public void AddClosedBar(long openTime, decimal open, decimal high, decimal low, decimal close, decimal volume) =>
            venue.AddKline(Symbol, "1m", Kline(openTime, open, high, low, close, volume));
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
}
