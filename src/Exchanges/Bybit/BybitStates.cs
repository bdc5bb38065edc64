using StrategyLab.Exchanges.Bybit.Http;
using StrategyLab.Runtime.Execution;

namespace StrategyLab.Exchanges.Bybit;

/// <summary>
/// Bybit's order records in the runtime's terms (https://bybit-exchange.github.io/docs/v5/enum, orderStatus and
/// rejectReason). A conditional order is told by its trigger price; whether it stops a loss or takes a profit by its
/// side and trigger direction (1: the price rises to it, 2: falls to it). A post-only order Bybit cancels because it
/// would take (<c>EC_PostOnlyWillTakeLiquidity</c>) is <see cref="OrderStatus.Expired"/>, as Binance reports it.
/// </summary>
internal static class BybitStates
{
    public const string PostOnlyWouldTake = "EC_PostOnlyWillTakeLiquidity";

    public static OrderState Order(BybitOrder order) => new(
        order.OrderLinkId,
        order.OrderId,
        order.Symbol,
        order.Side,
        Type(order.OrderType, order.Side, order.TriggerPrice, order.TriggerDirection),
        order.Qty,
        order.CumExecQty,
        order.Price == 0m ? null : order.Price,
        order.AvgPrice,
        Status(order.OrderStatus, order.RejectReason),
        order.UpdatedTime,
        order.OrderStatus == "Rejected" ? order.RejectReason : null);

    /// <summary>The runtime's order type of a Bybit order.</summary>
    public static OrderType Type(string orderType, OrderSide side, decimal triggerPrice, int triggerDirection) => (orderType, triggerPrice) switch
    {
        (_, > 0m) => IsStop(side, triggerDirection) ? OrderType.StopMarket : OrderType.TakeProfitMarket,
        ("Limit", _) => OrderType.Limit,
        ("Market", _) => OrderType.Market,
        _ => throw new BybitMalformedBody($"'orderType' is '{orderType}', expected Limit or Market"),
    };

    /// <summary>The trigger direction of a conditional exit: a stop fires against the position, a take-profit with it.</summary>
    public static int TriggerDirection(OrderType type, OrderSide side) =>
        (type == OrderType.StopMarket) == (side == OrderSide.Sell) ? 2 : 1;

    public static OrderStatus Status(string status, string rejectReason) => status switch
    {
        "New" or "Created" or "Untriggered" or "Triggered" or "Active" => OrderStatus.New,
        "PartiallyFilled" => OrderStatus.PartiallyFilled,
        "Filled" => OrderStatus.Filled,
        "Cancelled" or "PartiallyFilledCanceled" or "Deactivated" when rejectReason == PostOnlyWouldTake => OrderStatus.Expired,
        "Cancelled" or "PartiallyFilledCanceled" or "Deactivated" => OrderStatus.Canceled,
        "Rejected" => OrderStatus.Rejected,
        _ => throw new BybitMalformedBody($"'orderStatus' is '{status}', which this client does not know"),
    };

    // a sell stop waits for the price to fall (2), a buy stop for it to rise (1)
    private static bool IsStop(OrderSide side, int triggerDirection) => (side == OrderSide.Sell) == (triggerDirection == 2);
}
