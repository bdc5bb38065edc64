using StrategyLab.Exchanges.Bybit.Http;

namespace StrategyLab.Exchanges.Tests.Bybit.Http;

/// <summary>Bybit's documented history answers (TestData/bybit, with their pages) read exactly into the history's models.</summary>
public sealed class BybitHistoryParseTests
{
    private static byte[] Fixture(string name) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "TestData", "bybit", name));

    [Fact]
    public void HistoryKlinesKeepEveryStringAsTheExactDecimalItWritesWithTheTurnover()
    {
        var klines = BybitParse.HistoryKlines(Fixture("http_get_kline.json"));

        Assert.Equal([1670608800000L, 1670605200000L, 1670601600000L], klines.Select(k => k.Start));
        var newest = klines[0];
        Assert.Equal((17071m, 17073m, 17027m, 17055.5m, 268611m, 15.74462667m), (newest.Open, newest.High, newest.Low, newest.Close, newest.Volume, newest.Turnover));
        Assert.Equal("15.74462667", newest.Turnover.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("0.37288112", klines[2].Turnover.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void AFundingRateIsReadWithItsSymbolAndSettlementTime()
    {
        var rate = Assert.Single(BybitParse.FundingHistory(Fixture("http_get_funding_history.json")));

        Assert.Equal(("ETHPERP", 0.0001m, 1672041600000L), (rate.Symbol, rate.FundingRate, rate.Timestamp));
    }

    [Fact]
    public void TheAnswerToASymbolBybitDoesNotListIsAnEnvelopeWithRetCode10001() =>
        Assert.Equal(new BybitEnvelope(10001, "Not supported symbols"), BybitParse.Envelope(Fixture("http_error_not_supported_symbols.json")));

    [Fact]
    public void AKlineOfAnotherLengthIsNotTheDocumentedShape()
    {
        var body = """{"retCode":0,"retMsg":"OK","result":{"symbol":"BTCUSDT","category":"linear","list":[["1670608800000","17071","17073","17027","17055.5","268611"]]},"retExtInfo":{},"time":1}"""u8.ToArray();

        var error = Assert.Throws<BybitMalformedBody>(() => BybitParse.HistoryKlines(body));

        Assert.Equal("a kline is not an array of 7 values", error.Message);
    }
}
