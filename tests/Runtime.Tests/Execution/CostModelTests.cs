using StrategyLab.Runtime.Execution;

namespace StrategyLab.Runtime.Tests.Execution;

public sealed class CostModelTests
{
    [Fact]
    public void MakersAndTakersPayTheirFractionOfTheNotional()
    {
        var fees = new MakerTakerFeeModel(-0.0001, 0.0005);
        // 20,000 of notional: a taker pays 20,000 × 5 bps = 10, a maker receives 20,000 × 1 bp = 2
        Assert.Equal(10, fees.Fee(20_000, maker: false), 12);
        Assert.Equal(-2, fees.Fee(20_000, maker: true), 12);
    }

    [Fact]
    public void SlippageMovesTheFillPriceAgainstTheOrder()
    {
        var slippage = new FractionSlippageModel(0.0002);
        // 2 bps of 50,000 is 10: a buy pays 50,010, a sell gets 49,990
        Assert.Equal(50_010, slippage.Price(50_000, 0.5), 9);
        Assert.Equal(49_990, slippage.Price(50_000, -0.5), 9);
    }
}
