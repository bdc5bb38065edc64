using StrategyLab.Exchanges.Binance;
using StrategyLab.Exchanges.Binance.Common;
using StrategyLab.Exchanges.Tests.Binance;

namespace StrategyLab.Exchanges.Tests.Trading;

/// <summary>
/// The account the trading tests trade: the fake Binance venue listing BTCUSDT (tick 0.1) and ETHUSDT (tick 0.01), each
/// in lots of 0.001 with a minimum notional of 5, and a client of it that retries at once.
/// </summary>
internal static class TwoSymbolVenue
{
    public static readonly string[] Symbols = ["BTCUSDT", "ETHUSDT"];

    /// <summary>The venue, its touch at <paramref name="btc"/> and <paramref name="eth"/> (bid, ask).</summary>
    public static async Task<FakeBinanceFuturesVenue> StartAsync(string key, string secret, (decimal Bid, decimal Ask) btc, (decimal Bid, decimal Ask) eth)
    {
        var venue = await FakeBinanceFuturesVenue.StartAsync(key, secret);
        venue.AddSymbol(new FakeSymbol("BTCUSDT", 0.1m, 0.001m, 0.001m, 1000m, 5m));
        venue.AddSymbol(new FakeSymbol("ETHUSDT", 0.01m, 0.001m, 0.001m, 1000m, 5m));
        venue.SetBook("BTCUSDT", [(btc.Bid, 1000m)], [(btc.Ask, 1000m)]);
        venue.SetBook("ETHUSDT", [(eth.Bid, 1000m)], [(eth.Ask, 1000m)]);
        return venue;
    }

    /// <summary>A client of <paramref name="venue"/> that retries within milliseconds; <paramref name="adjust"/> changes its options.</summary>
    public static BinanceFuturesExchange Client(FakeBinanceFuturesVenue venue, string key, string secret,
        Func<BinanceFuturesOptions, BinanceFuturesOptions>? adjust = null)
    {
        var options = new BinanceFuturesOptions
        {
            Environment = new BinanceEnvironment("fake", venue.Host.RestBase, venue.Host.StreamBase, IsTestnet: true),
            RetryBaseDelay = TimeSpan.FromMilliseconds(1),
            RetryMaxDelay = TimeSpan.FromMilliseconds(5),
        };
        return new BinanceFuturesExchange(adjust?.Invoke(options) ?? options, BinanceCredentials.Of(key, secret));
    }
}

/// <summary>
/// A test of a runner against <see cref="TwoSymbolVenue"/> (touch 99.9/100.1 for BTC, 49.9/50.1 for ETH) with a journal
/// file of its own; venue, client and journal are gone after the test.
/// </summary>
public abstract class TwoSymbolVenueTest(string name) : IAsyncLifetime
{
    private const string Key = "two-symbol-tests-api-key-PLOKIJ";
    private const string Secret = "two-symbol-tests-secret-JIKOLP";

    /// <summary>The journal's file.</summary>
    protected string JournalPath { get; } = Path.Combine(Path.GetTempPath(), $"{name}-{Guid.NewGuid():N}.db");

    internal FakeBinanceFuturesVenue Venue { get; private set; } = null!;

    internal BinanceFuturesExchange Exchange { get; private set; } = null!;

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        Venue = await TwoSymbolVenue.StartAsync(Key, Secret, (99.9m, 100.1m), (49.9m, 50.1m));
        Exchange = TwoSymbolVenue.Client(Venue, Key, Secret);
    }

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        Exchange.Dispose();
        await Venue.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var suffix in new[] { "", "-wal", "-shm" })
            File.Delete(JournalPath + suffix);
    }
}
