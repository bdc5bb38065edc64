using System.Text;
using StrategyLab.Exchanges.Binance.Http;

namespace StrategyLab.Exchanges.Tests.Binance.Http;

public sealed class BinanceHttpParseTests
{
    private static byte[] Fixture(string name) =>
        File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "TestData", "binance", name));

    [Fact]
    public void ReadsTheDocumentedKlineKeepingEveryValueAsSent()
    {
        var kline = Assert.Single(BinanceHttpParse.Klines(Fixture("http_get_klines.json")));

        Assert.Equal(1499040000000, kline.OpenTime);
        Assert.Equal(1499644799999, kline.CloseTime);
        Assert.Equal(
            "1499040000000,0.01634790,0.80000000,0.01575800,0.01577100,148976.11427815,1499644799999,2434.19055334,308,1756.87402397,28.46694368,17928899.62484339",
            string.Join(',', kline.Fields));
    }

    [Fact]
    public void ReadsARecordedBtcusdtKlinePage()
    {
        var klines = BinanceHttpParse.Klines(Fixture("http_get_klines_btcusdt_5m.json"));

        Assert.Equal([1616338800000, 1616339100000], klines.Select(k => k.OpenTime));
        Assert.Equal(
            "1616339100000,57300.00,57300.00,57200.61,57206.47,174.865,1616339399999,10009130.07051,2602,60.409,3457649.49072,0",
            string.Join(',', klines[1].Fields));
    }

    [Fact]
    public void ReadsFundingRatesWithTheirMarkPrice()
    {
        var records = BinanceHttpParse.FundingRates(Fixture("http_get_funding_rate.json"));

        Assert.Equal(
            [
                new BinanceFundingRate(1570608000000, "BTCUSDT", "-0.03750000", "34287.54619963"),
                new BinanceFundingRate(1570636800000, "BTCUSDT", "0.00010000", "34287.54619963"),
            ],
            records);
    }

    [Fact]
    public void ReadsFundingRatesWithoutAMarkPriceAsAnEmptyMarkPrice()
    {
        var records = BinanceHttpParse.FundingRates(Fixture("http_get_funding_rate_without_mark_price.json"));

        Assert.Equal(["", ""], records.Select(r => r.MarkPrice));
        Assert.Equal(["-0.03750000", "0.00010000"], records.Select(r => r.FundingRate));
    }

    [Fact]
    public void ReadsOpenInterestWhetherTheTimestampIsAStringOrANumber()
    {
        var documented = BinanceHttpParse.OpenInterest(Fixture("http_get_open_interest_hist.json"));
        var recorded = Assert.Single(BinanceHttpParse.OpenInterest(Fixture("http_get_open_interest_hist_btcusdt_5m.json")));

        Assert.Equal(
            [
                new BinanceOpenInterest(1583127900000, "BTCUSDT", "20403.63700000", "150570784.07809979"),
                new BinanceOpenInterest(1583128200000, "BTCUSDT", "20401.36700000", "149940752.14464448"),
            ],
            documented);
        Assert.Equal(new BinanceOpenInterest(1616438700000, "BTCUSDT", "34085.00000000", "1927265695.27131325"), recorded);
    }

    [Fact]
    public void ReadsTheDocumentedServerTime() =>
        Assert.Equal(1499827319559, BinanceHttpParse.ServerTime(Fixture("http_get_server_time.json")));

    [Theory]
    [InlineData("{}", "the server time answer has no 'serverTime'")]
    [InlineData("{\"serverTime\":\"1499827319559\"}", "serverTime is '1499827319559', expected a time in milliseconds")]
    [InlineData("{\"serverTime\":-5}", "serverTime is '-5', expected a time in milliseconds")]
    [InlineData("[1499827319559]", "the server time answer is an array, expected an object")]
    public void RejectsAMalformedServerTimeSayingWhatIsWrong(string body, string reason)
    {
        var error = Assert.Throws<MalformedBodyException>(() => BinanceHttpParse.ServerTime(Encoding.UTF8.GetBytes(body)));

        Assert.Equal(reason, error.Message);
    }

    [Fact]
    public void ReadsTheInvalidSymbolErrorPayload()
    {
        Assert.Equal(new BinanceErrorBody(-1121, "Invalid symbol."), BinanceHttpParse.Error(Fixture("http_error_invalid_symbol.json")));
        Assert.Null(BinanceHttpParse.Error(Fixture("http_get_klines.json")));
        Assert.Null(BinanceHttpParse.Error("<html>Bad Gateway</html>"u8));
    }

    [Theory]
    [InlineData("", "the body is empty")]
    [InlineData("<html>Bad Gateway</html>", "the body is not valid JSON")]
    [InlineData("[[1717200000000,\"42000.10\"", "the body is not valid JSON")]
    [InlineData("{\"rows\":[]}", "expected an array of kline rows, found an object")]
    [InlineData("[[1717200000000,\"1\",\"1\",\"1\",\"1\"]]", "kline row 1 has 5 fields, expected 12")]
    [InlineData("[[1717200000000,\"1.0\",\"abc\",\"1\",\"1\",\"1\",1717200059999,\"1\",3,\"1\",\"1\",\"0\"]]", "kline row 1 field 3 is 'abc', expected a decimal number in a string")]
    [InlineData("[[1717200000000,1.0,\"1\",\"1\",\"1\",\"1\",1717200059999,\"1\",3,\"1\",\"1\",\"0\"]]", "kline row 1 field 2 is 1.0, expected a decimal number in a string")]
    [InlineData("[[\"soon\",\"1\",\"1\",\"1\",\"1\",\"1\",1717200059999,\"1\",3,\"1\",\"1\",\"0\"]]", "kline row 1 field 1 is 'soon', expected a time in milliseconds")]
    [InlineData("[[1717200000000,\"1\",\"1\",\"1\",\"1\",\"1\",1717100000000,\"1\",3,\"1\",\"1\",\"0\"]]", "kline row 1 closes at 1717100000000, before it opens at 1717200000000")]
    [InlineData("[[1717200000000,\"1\",\"1\",\"1\",\"1\",\"1\",1717200059999,\"1\",-3,\"1\",\"1\",\"0\"]]", "kline row 1 field 9 is -3, expected a trade count")]
    [InlineData("[[1717200000000,\"1\",\"1\",\"1\",\"1\",\"1\",1717200059999,\"1\",3,\"1\",\"1\",\"a,b\"]]", "kline row 1 field 12 is 'a,b', which cannot be written to a CSV field")]
    public void RejectsAMalformedKlineBodySayingWhatIsWrong(string body, string reason)
    {
        var error = Assert.Throws<MalformedBodyException>(() => BinanceHttpParse.Klines(Encoding.UTF8.GetBytes(body)));

        Assert.StartsWith(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RejectsKlinesThatDoNotAscend()
    {
        const string row = "[1717200000000,\"1\",\"1\",\"1\",\"1\",\"1\",1717200059999,\"1\",3,\"1\",\"1\",\"0\"]";

        var error = Assert.Throws<MalformedBodyException>(() => BinanceHttpParse.Klines(Encoding.UTF8.GetBytes($"[{row},{row}]")));

        Assert.Equal("kline row 2 opens at 1717200000000, not after the previous row (1717200000000)", error.Message);
    }

    [Theory]
    [InlineData("[{\"symbol\":\"BTCUSDT\",\"fundingRate\":\"0.0001\"}]", "funding rate record 1 has no 'fundingTime'")]
    [InlineData("[{\"symbol\":\"BTC USDT\",\"fundingRate\":\"0.0001\",\"fundingTime\":1}]", "funding rate record 1 symbol is 'BTC USDT', expected a symbol")]
    [InlineData("[7]", "funding rate record 1 is a number, expected an object")]
    public void RejectsAMalformedFundingBodySayingWhatIsWrong(string body, string reason)
    {
        var error = Assert.Throws<MalformedBodyException>(() => BinanceHttpParse.FundingRates(Encoding.UTF8.GetBytes(body)));

        Assert.StartsWith(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RejectsOpenInterestWithoutItsValue()
    {
        const string body = "[{\"symbol\":\"BTCUSDT\",\"sumOpenInterest\":\"1.0\",\"timestamp\":1583127900000}]";

        var error = Assert.Throws<MalformedBodyException>(() => BinanceHttpParse.OpenInterest(Encoding.UTF8.GetBytes(body)));

        Assert.Equal("open interest record 1 has no 'sumOpenInterestValue'", error.Message);
    }
}
