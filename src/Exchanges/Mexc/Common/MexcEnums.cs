using StrategyLab.Exchanges.Mexc.Http;
using StrategyLab.Runtime.Execution;

namespace StrategyLab.Exchanges.Mexc.Common;

/// <summary>
/// MEXC contract enum values (https://mexcdevelop.github.io/apidocs/contract_v1_en, "Order under maintenance" and
/// "Get all orders by external oid"): <c>side</c> 1 open long, 2 close short, 3 open short, 4 close long; <c>type</c>
/// 1 limit, 2 post only, 3 IOC, 4 FOK, 5 market; <c>openType</c> 1 isolated, 2 cross; <c>positionMode</c> 1 hedge,
/// 2 one-way; order <c>state</c> 1 uninformed, 2 uncompleted, 3 completed, 4 cancelled, 5 invalid.
/// </summary>
internal static class MexcEnums
{
    public const int OneWay = 2;
    public const int Cross = 2;

    /// <summary>The order's errorCode when the venue cancelled a post-only order that would have taken.</summary>
    public const int PostOnlyCancel = 20;

    // in one-way mode a buy is side 1 and a sell side 3; reduce-only says whether it may only close
    public static int Side(OrderSide side) => side switch
    {
        OrderSide.Buy => 1,
        OrderSide.Sell => 3,
        _ => throw new ArgumentOutOfRangeException(nameof(side), side, "unknown side"),
    };

    // a trigger order that only reduces: 4 closes a long (a sell), 2 closes a short (a buy)
    public static int CloseSide(OrderSide side) => side == OrderSide.Sell ? 4 : 2;

    public static OrderSide SideOf(int side) => side switch
    {
        1 or 2 => OrderSide.Buy,
        3 or 4 => OrderSide.Sell,
        _ => throw new MexcMalformedBody($"unknown order side {side}"),
    };

    public static int Type(OrderType type, TimeInForce tif) => (type, tif) switch
    {
        (OrderType.Market, _) => 5,
        (OrderType.Limit, TimeInForce.PostOnly) => 2,
        (OrderType.Limit, TimeInForce.ImmediateOrCancel) => 3,
        (OrderType.Limit, _) => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "not an order type of order/submit"),
    };

    public static OrderType TypeOf(int type) => type switch
    {
        1 or 2 or 3 or 4 => OrderType.Limit,
        5 or 6 => OrderType.Market,
        _ => throw new MexcMalformedBody($"unknown order type {type}"),
    };

    /// <summary>The runtime status of an order from its state, filled amount and errorCode.</summary>
    public static OrderStatus Status(int state, decimal filledVol, int errorCode) => state switch
    {
        1 or 2 => filledVol > 0m ? OrderStatus.PartiallyFilled : OrderStatus.New,
        3 => OrderStatus.Filled,

        // cancelled by the venue for its time in force (IOC 18, FOK 19, post-only 20, market 21) is an expiry
        4 => errorCode is 18 or 19 or PostOnlyCancel or 21 ? OrderStatus.Expired : OrderStatus.Canceled,
        5 => OrderStatus.Rejected,
        _ => throw new MexcMalformedBody($"unknown order state {state}"),
    };

    /// <summary>Kline interval names (https://mexcdevelop.github.io/apidocs/contract_v1_en, "K-line data").</summary>
    public static string? Interval(long milliseconds) => milliseconds switch
    {
        60_000 => "Min1",
        300_000 => "Min5",
        900_000 => "Min15",
        1_800_000 => "Min30",
        3_600_000 => "Min60",
        14_400_000 => "Hour4",
        28_800_000 => "Hour8",
        86_400_000 => "Day1",
        604_800_000 => "Week1",
        _ => null,
    };
}
