using System.Globalization;
using System.Text.Json;
using StrategyLab.Exchanges.Mexc.Http;

namespace StrategyLab.Exchanges.Tests.Mexc;

/// <summary>MEXC's documented history answers (TestData/mexc/README.md) read exactly into the history's models.</summary>
public sealed class MexcHistoryParseTests
{
    private static JsonElement Data(string file) =>
        MexcParse.Envelope(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "TestData", "mexc", file))).Data;

    private static JsonElement Json(string text)
    {
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }

    [Fact]
    public void AKlineKeepsEachNumberAsTheDecimalItWrites()
    {
        var kline = Assert.Single(MexcParse.HistoryKlines(Data("http_get_kline_btc_usdt.json")));

        Assert.Equal(new MexcHistoryKline(1609740600, 33016.5m, 33094.0m, 32995.0m, 33040.5m, 67332.0m, 222515.85925m), kline);
        Assert.Equal("33094.0", kline.High.ToString(CultureInfo.InvariantCulture));
    }

    [Fact]
    public void ANumberInExponentFormIsReadExactlyNotThroughADouble()
    {
        var data = Json("""{"time":[1761876000],"open":[109573.9],"close":[109006.4],"high":[109628.1],"low":[108953.3],"vol":[5587051.0],"amount":[6.106243567181e7]}""");

        var kline = Assert.Single(MexcParse.HistoryKlines(data));

        Assert.Equal("61062435.67181", kline.Amount.ToString(CultureInfo.InvariantCulture));
    }

    [Fact]
    public void ColumnsOfDifferentLengthsAreNotTheDocumentedShape()
    {
        var data = Json("""{"time":[1,2],"open":[1,1],"close":[1,1],"high":[1,1],"low":[1],"vol":[1,1],"amount":[1,1]}""");

        Assert.Equal("kline columns of different lengths", Assert.Throws<MexcMalformedBody>(() => MexcParse.HistoryKlines(data)).Message);
    }

    [Fact]
    public void AFundingPageGivesItsRatesNewestFirstAndItsPageCount()
    {
        var page = MexcParse.FundingRateHistory(Data("http_get_funding_rate_history.json"));

        Assert.Equal([new MexcFundingRate("BTC_USDT", 0.000266m, 1609804800000), new MexcFundingRate("BTC_USDT", 0.00029m, 1609776000000)], page.Items);
        Assert.Equal((11, 1), (page.TotalPage, page.CurrentPage));
    }
}
