using StrategyLab.Exchanges.Binance.Http;

namespace StrategyLab.Exchanges.Tests.Binance.Http;

public sealed class BinanceHttpClientTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(99, 1)]
    [InlineData(100, 2)]
    [InlineData(499, 2)]
    [InlineData(500, 5)]
    [InlineData(1000, 5)]
    [InlineData(1001, 10)]
    [InlineData(1500, 10)]
    public void WeighsKlineRequestsByLimitAsDocumented(int limit, int weight) =>
        Assert.Equal(weight, BinanceHttpClient.KlineWeight(limit));
}
