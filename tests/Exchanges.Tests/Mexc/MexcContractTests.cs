using StrategyLab.Exchanges.Mexc;

namespace StrategyLab.Exchanges.Tests.Mexc;

public sealed class MexcContractTests
{
    // BTC_USDT as https://www.mexc.com/api-docs/futures/market-endpoints/get-contract-info shows it: contractSize 0.0001, volUnit 1
    private static readonly MexcContract Btc = new("BTC_USDT", "BTC", "USDT", 0.0001m, 0.1m, 1m, 1m, 400_000m, 1, 500, 0.0001m, 0.0004m, true, 0);

    [Theory]
    [InlineData("0.0025", "25")]
    [InlineData("0.0001", "1")]
    [InlineData("40", "400000")]
    [InlineData("1.2345", "12345")]
    public void ABaseQuantityIsAWholeNumberOfContracts(string quantity, string vol)
    {
        Assert.Equal(decimal.Parse(vol, System.Globalization.CultureInfo.InvariantCulture), Btc.Vol(decimal.Parse(quantity, System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal(decimal.Parse(quantity, System.Globalization.CultureInfo.InvariantCulture), Btc.Quantity(decimal.Parse(vol, System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Fact]
    public void AQuantityBetweenContractsHasNoContractAmountAndSaysWhy()
    {
        Assert.Null(Btc.Vol(0.00025m));
        Assert.Equal("0.00025 BTC is not a whole number of 0.0001 BTC volume units of BTC_USDT", Btc.QuantityProblem(0.00025m));
    }

    [Fact]
    public void AVolumeUnitOfSeveralContractsIsTheStep()
    {
        var lots = Btc with { ContractSize = 10m, VolUnit = 5m };

        Assert.Equal(5m, lots.Vol(50m));
        Assert.Null(lots.Vol(30m)); // 3 contracts, not a multiple of 5
    }
}
