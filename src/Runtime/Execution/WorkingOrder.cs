namespace StrategyLab.Runtime.Execution;

/// <summary>Why an order was sent, or why the venue traded on its own: fills are booked, counted and alerted by it.</summary>
public enum OrderPurpose : byte
{
    /// <summary>Towards the strategy's target weights (or flat when a risk rule says so).</summary>
    Rebalance,
    /// <summary>The position's stop-loss.</summary>
    StopLoss,
    /// <summary>The position's trailing stop.</summary>
    TrailingStop,
    /// <summary>The position's take-profit.</summary>
    TakeProfit,
    /// <summary>The minimal-ROI table's return for the time held.</summary>
    Roi,
    /// <summary>The position was held for its maximum time.</summary>
    MaxHold,
    /// <summary>The venue closed the position at its last price: the asset's prices ended.</summary>
    Delisting,
    /// <summary>The venue liquidated the account: its equity reached zero.</summary>
    Liquidation,
}

/// <summary>Properties of <see cref="OrderPurpose"/>.</summary>
public static class OrderPurposes
{
    /// <summary>True for the per-position exits of the <c>exits</c> statement.</summary>
    public static bool IsExit(this OrderPurpose purpose) => purpose is >= OrderPurpose.StopLoss and <= OrderPurpose.MaxHold;

    /// <summary>True for orders the strategy sent (their notional is turnover), false for the venue's own closes.</summary>
    public static bool IsTraded(this OrderPurpose purpose) => purpose < OrderPurpose.Delisting;

    /// <summary>The rule name exits and alerts use, e.g. <c>stop_loss</c>.</summary>
    public static string RuleName(this OrderPurpose purpose) => purpose switch
    {
        OrderPurpose.Rebalance => "rebalance",
        OrderPurpose.StopLoss => "stop_loss",
        OrderPurpose.TrailingStop => "trailing_stop",
        OrderPurpose.TakeProfit => "take_profit",
        OrderPurpose.Roi => "roi",
        OrderPurpose.MaxHold => "max_hold",
        OrderPurpose.Delisting => "delisting",
        OrderPurpose.Liquidation => "liquidation",
        _ => throw new ArgumentOutOfRangeException(nameof(purpose), purpose, "unknown order purpose"),
    };
}

/// <summary>
/// The quotes of a limit order within one bar: quote k rests at <see cref="Reference"/> moved in the
/// order's favour by <see cref="Offset"/> × <see cref="Shrink"/>^k (the offset multiplied k times, as a
/// quoting loop computes it), rounded to <see cref="Tick"/> away from the touch (buys down, sells up; 0:
/// no rounding), at most <see cref="Quotes"/> of them. A plain limit order is one quote at its price.
/// </summary>
public readonly record struct QuoteLadder(double Reference, double Offset, double Shrink, int Quotes, double Tick)
{
    /// <summary>One quote at <paramref name="price"/>.</summary>
    public static QuoteLadder At(double price) => new(price, 0, 1, 1, 0);

    /// <summary>Returns the price of a quote with <paramref name="offset"/> for an order of sign <paramref name="side"/> (+1 buy, −1 sell).</summary>
    public double Price(int side, double offset)
    {
        var limit = Reference * (1 - side * offset);
        return Tick > 0 ? side > 0 ? Steps.Down(limit, Tick) : Steps.Up(limit, Tick) : limit;
    }

    /// <summary>Returns the offset of quote <paramref name="k"/> (0 the first).</summary>
    public double OffsetOf(int k)
    {
        var offset = Offset;
        for (var j = 0; j < k; j++)
            offset *= Shrink;
        return offset;
    }
}

/// <summary>
/// An order as the simulated venue works it, in the simulation's doubles. <see cref="Quantity"/> is
/// signed (+ buys). A limit order quotes along its <see cref="Ladder"/>; a stop or take-profit order
/// triggers at <see cref="StopPrice"/>. A reduce-only order never opens or grows a position. Orders
/// the engine sends for a bar live for that bar (what does not fill is cancelled and decided again);
/// <see cref="GoodTillCancel"/> orders, sent through <see cref="IExchange"/>, rest until filled or cancelled.
/// </summary>
public readonly record struct WorkingOrder(
    int Asset,
    double Quantity,
    OrderType Type,
    OrderPurpose Purpose = OrderPurpose.Rebalance,
    QuoteLadder Ladder = default,
    double StopPrice = double.NaN,
    bool MarketFallback = false,
    bool ReduceOnly = false,
    bool GoodTillCancel = false,
    string? ClientOrderId = null)
{
    /// <summary>+1 for a buy, −1 for a sell.</summary>
    public int Side => Math.Sign(Quantity);
}
