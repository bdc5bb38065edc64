using StrategyLab.Runtime.Execution;

namespace StrategyLab.Runtime.Tests.Execution;

// every expected number below is worked out by hand in the comment above it
public sealed class FillModelTests
{
    private static readonly BarFillModel NoSlippage = new(new FractionSlippageModel(0));

    // open 100, high 104, low 97, close 102
    private static readonly BarQuote Bar = new(100, 104, 97, 102, 1_000);

    private static void Near(double expected, double actual) => Assert.Equal(expected, actual, 1e-9);

    [Fact]
    public void AMarketOrderFillsAtTheOpenMovedAgainstItByTheSlippage()
    {
        var model = new BarFillModel(new FractionSlippageModel(0.001));
        // a buy pays 100 × 1.001 = 100.1, a sell gets 100 × 0.999 = 99.9, both as taker
        var buy = model.Match(new WorkingOrder(0, 5, OrderType.Market), Bar);
        var sell = model.Match(new WorkingOrder(0, -5, OrderType.Market), Bar);
        Assert.Equal((true, 5.0, false), (buy.Matched, buy.Quantity, buy.Maker));
        Near(100.1, buy.Price);
        Near(99.9, sell.Price);
    }

    [Fact]
    public void ALimitOrderFillsAtItsPriceOnlyWhenTheBarTradesThroughIt()
    {
        // a buy at 98 is traded through (low 97 < 98): filled at 98 as maker; a buy at 97 is only touched: no fill
        var through = NoSlippage.Match(new WorkingOrder(0, 2, OrderType.Limit, Ladder: QuoteLadder.At(98)), Bar);
        Assert.Equal((true, 2.0, 98.0, true), (through.Matched, through.Quantity, through.Price, through.Maker));
        Assert.False(NoSlippage.Match(new WorkingOrder(0, 2, OrderType.Limit, Ladder: QuoteLadder.At(97)), Bar).Matched);
        // a sell at 103.5 is traded through by the high 104
        Near(103.5, NoSlippage.Match(new WorkingOrder(0, -2, OrderType.Limit, Ladder: QuoteLadder.At(103.5)), Bar).Price);
    }

    [Fact]
    public void AnUnfilledQuoteIsRequotedCloserAndTheFirstQuoteReachedFills()
    {
        // decided at 100 with offset 4%, shrink 0.5: quotes 96 (not reached, low 97), 98 (reached): fills at 98
        var ladder = new QuoteLadder(100, 0.04, 0.5, 3, 0);
        var fill = NoSlippage.Match(new WorkingOrder(0, 1, OrderType.Limit, Ladder: ladder), Bar);
        Near(98, fill.Price);
        // with one quote only, nothing fills
        Assert.False(NoSlippage.Match(new WorkingOrder(0, 1, OrderType.Limit, Ladder: ladder with { Quotes = 1 }), Bar).Matched);
    }

    [Fact]
    public void AQuoteIsRoundedToTheTickAwayFromTheTouch()
    {
        // 100 × (1 − 0.0123) = 98.77: a buy on a 0.5 tick rests at 98.5; a sell at 100 × 1.0123 = 101.23 rests at 101.5
        var ladder = new QuoteLadder(100, 0.0123, 0.5, 1, 0.5);
        Near(98.5, ladder.Price(1, ladder.Offset));
        Near(101.5, ladder.Price(-1, ladder.Offset));
        // a price already on the tick stays (0.3 / 0.1 is 2.9999999999999996 in doubles)
        Near(0.3, new QuoteLadder(0.3, 0, 1, 1, 0.1).Price(1, 0));
    }

    [Fact]
    public void ALimitOrderWithAFallbackGoesToMarketAtTheBarsCloseWhenNoQuoteFills()
    {
        var model = new BarFillModel(new FractionSlippageModel(0.001));
        // the quote at 95 is not reached; the fallback buys at the close 102 × 1.001 = 102.102 as taker
        var fill = model.Match(new WorkingOrder(0, 3, OrderType.Limit, Ladder: QuoteLadder.At(95), MarketFallback: true), Bar);
        Assert.Equal((true, 3.0, false), (fill.Matched, fill.Quantity, fill.Maker));
        Near(102.102, fill.Price);
    }

    [Fact]
    public void AStopTriggersOnTheBarsRangeAndFillsAtItsPrice()
    {
        // a long's sell stop at 98: the low 97 reaches it, filled at 98; at 96 it is not reached
        var fill = NoSlippage.Match(new WorkingOrder(0, -4, OrderType.StopMarket, StopPrice: 98), Bar);
        Assert.Equal((true, -4.0, 98.0, false), (fill.Matched, fill.Quantity, fill.Price, fill.Maker));
        Assert.False(NoSlippage.Match(new WorkingOrder(0, -4, OrderType.StopMarket, StopPrice: 96), Bar).Matched);
        // a short's buy stop at 104 is reached by the high 104 (a touch triggers a stop)
        Near(104, NoSlippage.Match(new WorkingOrder(0, 4, OrderType.StopMarket, StopPrice: 104), Bar).Price);
    }

    [Fact]
    public void AStopTheMarketGappedThroughFillsAtTheOpen()
    {
        // the bar opens at 100, below a sell stop at 101: filled at the open 100, not at 101
        Near(100, NoSlippage.Match(new WorkingOrder(0, -1, OrderType.StopMarket, StopPrice: 101), Bar).Price);
        // a buy stop at 99 with the open above it: at the open
        Near(100, NoSlippage.Match(new WorkingOrder(0, 1, OrderType.StopMarket, StopPrice: 99), Bar).Price);
        // and the slippage moves a stop's fill like any market fill: 98 × (1 − 0.01) = 97.02
        Near(97.02, new BarFillModel(new FractionSlippageModel(0.01)).Match(new WorkingOrder(0, -1, OrderType.StopMarket, StopPrice: 98), Bar).Price);
    }

    [Fact]
    public void ATakeProfitTriggersInThePositionsFavour()
    {
        // a long's take-profit sells at 103 (high 104); at 105 it is not reached; a gap up through 99 fills at the open 100
        Near(103, NoSlippage.Match(new WorkingOrder(0, -1, OrderType.TakeProfitMarket, StopPrice: 103), Bar).Price);
        Assert.False(NoSlippage.Match(new WorkingOrder(0, -1, OrderType.TakeProfitMarket, StopPrice: 105), Bar).Matched);
        Near(100, NoSlippage.Match(new WorkingOrder(0, -1, OrderType.TakeProfitMarket, StopPrice: 99), Bar).Price);
        // a short's take-profit buys at 98 (low 97)
        Near(98, NoSlippage.Match(new WorkingOrder(0, 1, OrderType.TakeProfitMarket, StopPrice: 98), Bar).Price);
    }

    [Fact]
    public void AShareOfTheBarsVolumeFillsAndTheRestDoesNot()
    {
        var model = new VolumeShareFillModel(NoSlippage, 0.1);
        // volume 1,000 × 10 % = 100 units at most: an order for 250 fills 100, capped; one for 60 fills whole
        var capped = model.Match(new WorkingOrder(0, 250, OrderType.Market), Bar);
        Assert.Equal((true, 100.0, true), (capped.Matched, capped.Quantity, capped.Capped));
        var whole = model.Match(new WorkingOrder(0, -60, OrderType.Market), Bar);
        Assert.Equal((-60.0, false), (whole.Quantity, whole.Capped));
        // a sell for 250 fills −100; a bar without a known volume does not cap
        Assert.Equal(-100.0, model.Match(new WorkingOrder(0, -250, OrderType.Market), Bar).Quantity);
        Assert.Equal(250.0, model.Match(new WorkingOrder(0, 250, OrderType.Market), Bar with { Volume = double.NaN }).Quantity);
    }

    [Fact]
    public void ACappedLimitOrderStillFillsOnlyWhereItsPriceIsTraded()
    {
        var model = new VolumeShareFillModel(NoSlippage, 0.1);
        // a limit not reached stays unmatched, and says the cap cut it
        var missed = model.Match(new WorkingOrder(0, 250, OrderType.Limit, Ladder: QuoteLadder.At(90)), Bar);
        Assert.Equal((false, true), (missed.Matched, missed.Capped));
        // a bar without volume matches the order for nothing (the order's side still decides the quote)
        var empty = model.Match(new WorkingOrder(0, 5, OrderType.Limit, Ladder: QuoteLadder.At(98)), Bar with { Volume = 0 });
        Assert.Equal((true, 0.0, 98.0), (empty.Matched, empty.Quantity, empty.Price));
    }
}
