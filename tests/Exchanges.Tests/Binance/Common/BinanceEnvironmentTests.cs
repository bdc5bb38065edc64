using System.Collections;
using StrategyLab.Exchanges.Binance;
using StrategyLab.Exchanges.Binance.Common;

namespace StrategyLab.Exchanges.Tests.Binance.Common;

public sealed class BinanceEnvironmentTests
{
    [Fact]
    public void TheTestnetSwitchSelectsTheTestnetAddresses()
    {
        var testnet = BinanceEnvironment.For(testnet: true);

        Assert.Equal(("https://demo-fapi.binance.com/", "wss://fstream.binancefuture.com/", true), (testnet.RestBase.ToString(), testnet.StreamBase.ToString(), testnet.IsTestnet));
    }

    [Fact]
    public void WithoutTheSwitchItIsProduction()
    {
        var production = BinanceEnvironment.For(testnet: false);

        Assert.Equal(("https://fapi.binance.com/", "wss://fstream.binance.com/", false), (production.RestBase.ToString(), production.StreamBase.ToString(), production.IsTestnet));
    }

    [Fact]
    public void AClientMadeWithTheTestnetSwitchUsesTheTestnetAndItsKeys()
    {
        var environment = new Hashtable { ["BINANCE_TESTNET_API_KEY"] = "k", ["BINANCE_TESTNET_API_SECRET"] = "s" };

        using var client = BinanceFuturesExchange.FromEnvironment(testnet: true, envFile: null, environment: environment);

        Assert.Equal((BinanceEnvironment.Testnet, "binance-usdm-testnet"), (client.Environment, client.Venue));
    }

    [Fact]
    public void AClientForProductionNeedsTheProductionKeys()
    {
        var environment = new Hashtable { ["BINANCE_TESTNET_API_KEY"] = "k", ["BINANCE_TESTNET_API_SECRET"] = "s" };

        var e = Assert.Throws<ExchangeException>(() => BinanceFuturesExchange.FromEnvironment(testnet: false, envFile: null, environment: environment));

        Assert.Equal("no Binance API credentials: set BINANCE_API_KEY and BINANCE_API_SECRET in the environment or in a .env file", e.Message);
    }

    [Fact]
    public void StreamsAreReachedUnderWs() =>
        Assert.Equal("wss://fstream.binance.com/ws/btcusdt@kline_1m", BinanceUrls.Stream(BinanceEnvironment.Production.StreamBase, "btcusdt@kline_1m").ToString());
}
