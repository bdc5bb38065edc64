using StrategyLab.Runtime.Execution;

namespace StrategyLab.Runtime.Tests.Execution;

// every expected number below is worked out by hand in the comment above it
public sealed class ExecutionPolicyTests
{
    private static readonly Instrument Btc = new("BTCUSDT", "BTC", "USDT", TickSize: 0.1m, StepSize: 0.001m, MinQuantity: 0.001m, MinNotional: 100m, MaxLeverage: 20);

    private static readonly InstrumentFilter[] Filters = [InstrumentFilter.Of(Btc)];

    [Fact]
    public void TheOrderTakesTheHoldingToItsShareOfEquity()
    {
        var policy = new MarketExecutionPolicy(new SizingRules());
        // 40 % of 10,000 at 50 = 80 units, 30 held: buy 50
        Assert.Equal(IntentOutcome.Order, policy.Intent(0, 0.4, 10_000, 50, 30, OrderPurpose.Rebalance, out var intent));
        Assert.Equal((50.0, 50.0, false), (intent.Quantity, intent.ReferencePrice, intent.Closing));
        // a target of 0 closes what is held, whatever its size
        policy.Intent(0, 0, 10_000, 50, -3, OrderPurpose.Rebalance, out var close);
        Assert.Equal((3.0, true), (close.Quantity, close.Closing));
        // at the target: nothing; without a price: no order, and a non-zero target says so
        Assert.Equal(IntentOutcome.None, policy.Intent(0, 0.4, 10_000, 50, 80, OrderPurpose.Rebalance, out _));
        Assert.Equal(IntentOutcome.NoPrice, policy.Intent(0, 0.4, 10_000, double.NaN, 0, OrderPurpose.Rebalance, out _));
        Assert.Equal(IntentOutcome.None, policy.Intent(0, 0, 10_000, double.NaN, 0, OrderPurpose.Rebalance, out _));
    }

    [Fact]
    public void QuantitiesAreCutToWholeLotsAndSmallOrdersSkippedAsTheVenueWould()
    {
        var policy = new MarketExecutionPolicy(new SizingRules(), Filters);
        // 10 % of 10,000 at 30,000 = 0.0333… BTC: 0.033 in lots of 0.001
        policy.Intent(0, 0.1, 10_000, 30_000, 0, OrderPurpose.Rebalance, out var intent);
        Assert.Equal(0.033, intent.Quantity, 12);
        // 0.3 % of 10,000 = 30 of notional, below the instrument's minimum of 100: skipped
        Assert.Equal(IntentOutcome.Skipped, policy.Intent(0, 0.003, 10_000, 30_000, 0, OrderPurpose.Rebalance, out _));
        // 0.0002 BTC is less than one lot: skipped
        Assert.Equal(IntentOutcome.Skipped, policy.Intent(0, 0.0006, 10_000, 30_000, 0, OrderPurpose.Rebalance, out _));
        // a close is never skipped, and is sent as held, reduce-only (a venue exempts it from its minimum notional)
        Assert.Equal(IntentOutcome.Order, policy.Intent(0, 0, 10_000, 30_000, 0.002, OrderPurpose.Rebalance, out var close));
        Assert.Equal(-0.002, close.Quantity);
        Assert.True(policy.Order(close).ReduceOnly);
        Assert.False(policy.Order(intent).ReduceOnly);
    }

    [Fact]
    public void RoundingUpRaisesAnAddingOrderToTheMinimumInWholeLots()
    {
        var policy = new MarketExecutionPolicy(new SizingRules(MinNotional: 50, RoundUp: true), Filters);
        // 30 of notional, under the instrument's 100 (the larger minimum): 100 / 30,000 = 0.00333… → 0.004 BTC
        Assert.Equal(IntentOutcome.RoundedUp, policy.Intent(0, 0.003, 10_000, 30_000, 0, OrderPurpose.Rebalance, out var intent));
        Assert.Equal(0.004, intent.Quantity, 12);
        // taking a long of 0.006 to 0.0033 sells 0.002 (60 of notional): rounded up it would overshoot, so it is skipped
        Assert.Equal(IntentOutcome.Skipped, policy.Intent(0, 0.01, 10_000, 30_000, 0.006, OrderPurpose.Rebalance, out _));
    }

    [Fact]
    public void AMarketIntentIsOneRequestInTheInstrumentsLots()
    {
        var policy = new MarketExecutionPolicy(new SizingRules());
        var intent = new OrderIntent(0, -0.01234, 30_000, OrderPurpose.Rebalance, Closing: true);
        var request = policy.Request(intent, Btc, "id-0", 0)!;
        Assert.Equal((OrderSide.Sell, OrderType.Market, 0.012m, true), (request.Side, request.Type, request.Quantity, request.ReduceOnly));
        Assert.Null(policy.Request(intent, Btc, "id-1", 1));
        // less than a lot is nothing to send
        Assert.Null(policy.Request(intent with { Quantity = 0.0004 }, Btc, "id-0", 0));
    }

    [Fact]
    public void ALimitMakerIntentIsQuotedCloserEachRetryThenFallsBackToMarket()
    {
        // a five-minute bar holds all three quotes at one per 30 s
        var policy = new LimitMakerExecutionPolicy(new SizingRules(), offset: 0.001, retries: 2, shrink: 0.5, timeoutSeconds: 30, marketFallback: true,
            barMilliseconds: 300_000);
        var buy = new OrderIntent(0, 0.05, 30_000, OrderPurpose.Rebalance, Closing: false);
        // quotes at 30,000 × (1 − 0.001) = 29,970, × (1 − 0.0005) = 29,985, × (1 − 0.00025) = 29,992.5, post-only;
        // a buy rounds down to the 0.1 tick (29,992.5 is on it); then a market order; then nothing
        decimal?[] prices = [.. Enumerable.Range(0, 3).Select(k => policy.Request(buy, Btc, $"b{k}", k)!.Price)];
        Assert.Equal([29_970m, 29_985m, 29_992.5m], prices);
        Assert.All(Enumerable.Range(0, 3), k => Assert.Equal(TimeInForce.PostOnly, policy.Request(buy, Btc, "b", k)!.TimeInForce));
        Assert.Equal(OrderType.Market, policy.Request(buy, Btc, "b3", 3)!.Type);
        Assert.Null(policy.Request(buy, Btc, "b4", 4));
        // each quote rests its 30 s at a venue, the last before the fallback too; the fallback is the end
        Assert.Equal([TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(30), null], Enumerable.Range(0, 4).Select(policy.Patience));
        // a sell at 30,000.04 × 1.001 = 30,030.07004 rounds up to 30,030.1
        var sell = buy with { Quantity = -0.05, ReferencePrice = 30_000.04 };
        Assert.Equal(30_030.1m, policy.Request(sell, Btc, "s0", 0)!.Price);
    }

    [Fact]
    public void AVenueWorksTheQuotesThatFitInABarAsABacktestDoes()
    {
        // a one-minute bar holds two quotes at one per 30 s: the market fallback comes after the second
        var minute = new LimitMakerExecutionPolicy(new SizingRules(), 0.001, retries: 2, shrink: 0.5, timeoutSeconds: 30, marketFallback: true, barMilliseconds: 60_000);
        var buy = new OrderIntent(0, 0.05, 30_000, OrderPurpose.Rebalance, Closing: false);
        Assert.Equal(2, minute.QuotesPerBar);
        Assert.Equal([OrderType.Limit, OrderType.Limit, OrderType.Market], Enumerable.Range(0, 3).Select(k => minute.Request(buy, Btc, "b", k)!.Type));
        Assert.Null(minute.Request(buy, Btc, "b", 3));
        // without a timeout every quote fits: each rests an equal share of the bar, one share left for the fallback,
        // 60 s / (3 + 1) = 15 s
        var untimed = new LimitMakerExecutionPolicy(new SizingRules(), 0.001, retries: 2, shrink: 0.5, timeoutSeconds: 0, marketFallback: true, barMilliseconds: 60_000);
        Assert.Equal(3, untimed.QuotesPerBar);
        Assert.Equal([TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(15), null], Enumerable.Range(0, 4).Select(untimed.Patience));
        // a market order is sent once and never re-quoted
        Assert.Null(new MarketExecutionPolicy(new SizingRules()).Patience(0));
    }

    [Fact]
    public void WithoutAFallbackTheLastQuoteIsTheEnd()
    {
        var policy = new LimitMakerExecutionPolicy(new SizingRules(), 0.001, retries: 1, shrink: 0.5, timeoutSeconds: 30, marketFallback: false, barMilliseconds: 60_000);
        var buy = new OrderIntent(0, 0.05, 30_000, OrderPurpose.Rebalance, Closing: false);
        Assert.NotNull(policy.Request(buy, Btc, "b1", 1));
        Assert.Null(policy.Request(buy, Btc, "b2", 2));
        Assert.False(policy.Order(buy).MarketFallback);
        // the first quote rests its timeout before the second; the second rests until the next bar
        Assert.Equal([TimeSpan.FromSeconds(30), null], Enumerable.Range(0, 2).Select(policy.Patience));
    }
}
