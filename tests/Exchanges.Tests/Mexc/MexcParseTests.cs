using StrategyLab.Exchanges.Mexc.Http;

namespace StrategyLab.Exchanges.Tests.Mexc;

/// <summary>The parsers against payloads recorded from MEXC's documentation (TestData/mexc/README.md).</summary>
public sealed class MexcParseTests
{
    private static System.Text.Json.JsonElement Data(string file) =>
        MexcParse.Envelope(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "TestData", "mexc", file))).Data;

    [Fact]
    public void ServerTimeIsTheDataOfPing() => Assert.Equal(1761875313209, MexcParse.ServerTime(Data("http_get_ping.json")));

    [Fact]
    public void ContractDetailGivesTheFiltersAndWhetherTheApiMayTrade()
    {
        var c = Assert.Single(MexcParse.Contracts(Data("http_get_contract_detail_btc_usdt.json")));

        Assert.Equal(("BTC_USDT", "BTC", "USDT", 0.0001m, 0.1m, 1m, 1m, 400_000m), (c.Symbol, c.BaseCoin, c.SettleCoin, c.ContractSize, c.PriceUnit, c.VolUnit, c.MinVol, c.MaxVol));
        Assert.Equal((1, 500, 0.0001m, 0.0004m, false, 0), (c.MinLeverage, c.MaxLeverage, c.MakerFeeRate, c.TakerFeeRate, c.ApiAllowed, c.State));
    }

    [Fact]
    public void KlinesAreReadColumnByColumn()
    {
        var klines = MexcParse.Klines(Data("http_get_kline_index_price.json"));

        Assert.Equal(5, klines.Count);
        Assert.Equal(new MexcKline(1761876000, 109620.6m, 109685.6m, 109013.6m, 109057.0m, 0m), klines[0]);
        Assert.Equal(1761879600, klines[^1].Time);
    }

    [Fact]
    public void AnOrderKeepsItsIdsAndContractAmounts()
    {
        var o = Assert.Single(MexcParse.Orders(Data("http_post_batch_query_with_external.json")));

        Assert.Equal(("743829153601634818", "_m_a6e614e4107e4d13893f9f4a3f46d2d8", 10m, 0m, 100000m, 2, 1, 1), (o.OrderId, o.ExternalOid, o.Vol, o.DealVol, o.Price, o.State, o.Side, o.OrderType));
    }

    [Fact]
    public void CancelResultsNameEachOrdersOutcome() =>
        Assert.Equal(
            [("101716841474621953", 2040, "order not exist"), ("108885377779302912", 2041, "order state cannot be cancelled"), ("108886241042563584", 0, "success")],
            MexcParse.CancelResults(Data("http_post_cancel_with_external.json")));

    [Fact]
    public void AnErrorEnvelopeCarriesTheCodeAndMessage()
    {
        var (success, code, message, _) = MexcParse.Envelope(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "TestData", "mexc", "http_error_internal.json")));

        Assert.Equal((false, 500, "System internal error!"), (success, code, message));
    }
}
