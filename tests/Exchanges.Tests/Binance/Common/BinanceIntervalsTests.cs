using StrategyLab.Exchanges.Binance.Common;

namespace StrategyLab.Exchanges.Tests.Binance.Common;

public sealed class BinanceIntervalsTests
{
    [Theory]
    [InlineData("1m")]
    [InlineData("3m")]
    [InlineData("5m")]
    [InlineData("15m")]
    [InlineData("30m")]
    [InlineData("1h")]
    [InlineData("2h")]
    [InlineData("4h")]
    [InlineData("6h")]
    [InlineData("8h")]
    [InlineData("12h")]
    [InlineData("1d")]
    [InlineData("3d")]
    [InlineData("1w")]
    [InlineData("1M")]
    public void AcceptsEveryBinanceKlineInterval(string interval) => BinanceIntervals.ValidateKlineInterval(interval);

    [Theory]
    [InlineData("1H", "did you mean '1h'?")]
    [InlineData("1D", "did you mean '1d'?")]
    [InlineData("5min", "did you mean '5m'?")]
    [InlineData("1mo", "did you mean '1M'?")]
    public void SuggestsTheIntervalMeant(string interval, string hint)
    {
        var error = Assert.Throws<ExchangeException>(() => BinanceIntervals.ValidateKlineInterval(interval));

        Assert.Equal(ExchangeErrorKind.InvalidRequest, error.Kind);
        Assert.Equal(
            $"unknown interval '{interval}'; Binance USDⓈ-M futures klines accept 1m, 3m, 5m, 15m, 30m, 1h, 2h, 4h, 6h, 8h, 12h, 1d, 3d, 1w, 1M ({hint})",
            error.Message);
    }

    [Theory]
    [InlineData("2m")]
    [InlineData("")]
    [InlineData("1y")]
    public void RejectsAnIntervalBinanceDoesNotServe(string interval)
    {
        var error = Assert.Throws<ExchangeException>(() => BinanceIntervals.ValidateKlineInterval(interval));

        Assert.Equal($"unknown interval '{interval}'; Binance USDⓈ-M futures klines accept 1m, 3m, 5m, 15m, 30m, 1h, 2h, 4h, 6h, 8h, 12h, 1d, 3d, 1w, 1M", error.Message);
    }

    [Fact]
    public void RejectsAKlineIntervalThatIsNoOpenInterestPeriod()
    {
        BinanceIntervals.ValidateOpenInterestPeriod("5m");

        var error = Assert.Throws<ExchangeException>(() => BinanceIntervals.ValidateOpenInterestPeriod("1m"));

        Assert.Equal("unknown period '1m'; Binance open-interest statistics accept 5m, 15m, 30m, 1h, 2h, 4h, 6h, 12h, 1d", error.Message);
    }

    [Fact]
    public void TellsAMinuteFromAMonth()
    {
        Assert.Equal(60_000, BinanceIntervals.LengthMilliseconds("1m"));
        Assert.Null(BinanceIntervals.LengthMilliseconds("1M"));
    }
}
