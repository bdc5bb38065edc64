using StrategyLab.Exchanges.Binance.Common;

namespace StrategyLab.Exchanges.Tests.Binance.Common;

public sealed class BinanceUrlsTests
{
    [Fact]
    public void ShowsAnAddressWithoutItsCredentials()
    {
        var uri = new Uri("https://fapi.binance.com/fapi/v1/order?symbol=BTCUSDT&timestamp=1499827319559&signature=c8db56825ae71d6d&apiKey=vmPUZE6mv9SD5VNH");

        Assert.Equal("https://fapi.binance.com/fapi/v1/order?symbol=BTCUSDT&timestamp=1499827319559", BinanceUrls.Describe(uri));
    }

    [Fact]
    public void ShowsAPublicAddressAsItIs()
    {
        var uri = new Uri("http://127.0.0.1:5000/fapi/v1/klines?symbol=BTCUSDT&interval=1m&limit=1000");

        Assert.Equal("http://127.0.0.1:5000/fapi/v1/klines?symbol=BTCUSDT&interval=1m&limit=1000", BinanceUrls.Describe(uri));
    }
}
