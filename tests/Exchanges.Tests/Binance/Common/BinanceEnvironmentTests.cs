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
    public void StreamsAreReachedUnderWs() =>
        Assert.Equal("wss://fstream.binance.com/ws/btcusdt@kline_1m", BinanceUrls.Stream(BinanceEnvironment.Production.StreamBase, "btcusdt@kline_1m").ToString());
}
