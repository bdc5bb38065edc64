using StrategyLab.Runtime.Execution;
using StrategyLab.Runtime.Trading;

namespace StrategyLab.Runtime.Tests.Trading;

/// <summary>How a dataset's assets are found among a venue's instruments when trading.</summary>
public sealed class VenueSymbolsTests
{
    private static Instrument[] Listed(params string[] symbols) => [.. symbols.Select(s => new Instrument(s, s, "USDT", 0.1m, 0.001m, 0.001m, 5m, 20))];

    [Fact]
    public void AnAssetIsTradedUnderItsOwnNameWhenTheVenueListsIt() =>
        Assert.Equal(["BTCUSDT", "ETHUSDT"], LiveTrading.VenueSymbols(["BTCUSDT", "ETHUSDT"], Listed("ETHUSDT", "BTCUSDT"), "Binance USDⓈ-M"));

    [Fact]
    public void ABaseAssetIsTradedWithTheQuoteAppended() =>
        Assert.Equal(["BTCUSDT"], LiveTrading.VenueSymbols(["BTC"], Listed("BTCUSDT"), "Binance USDⓈ-M"));

    [Fact]
    public void AnAssetIsFoundUnderTheNameAVenueWritesWithAnUnderscore() =>
        Assert.Equal(["BTC_USDT", "ETH_USDT"], LiveTrading.VenueSymbols(["BTCUSDT", "ETH"], Listed("ETH_USDT", "BTC_USDT"), "MEXC contract"));

    [Fact]
    public void TheVenuesOwnNameIsTakenAsItIs() =>
        Assert.Equal(["BTC_USDT"], LiveTrading.VenueSymbols(["BTC_USDT"], Listed("BTC_USDT"), "MEXC contract"));

    [Fact]
    public void AnAssetTheVenueDoesNotListIsRefusedNamingIt()
    {
        var error = Assert.Throws<TradingException>(() => LiveTrading.VenueSymbols(["DOGEUSDT"], Listed("BTC_USDT"), "MEXC contract"));

        Assert.Equal(
            "MEXC contract trades neither DOGEUSDT nor DOGEUSDTUSDT: the strategy's dataset names assets the venue does not serve",
            error.Message);
    }
}
