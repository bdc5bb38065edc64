using StrategyLab.Runtime.Execution;

namespace StrategyLab.Exchanges.Binance.Common;

/// <summary>
/// Binance USDⓈ-M enum values (https://developers.binance.com/docs/derivatives/usds-margined-futures/common-definition
/// and the ORDER_TRADE_UPDATE page) to and from the runtime's, one explicit switch each. A value the venue documents
/// but the runtime does not trade (TAKE_PROFIT, FOK, ...) is <see cref="UnsupportedVenueValueException"/>; a value the
/// venue does not document is <see cref="MalformedBodyException"/>.
/// </summary>
internal static class BinanceEnums
{
    public static string Side(OrderSide side) => side switch
    {
        OrderSide.Buy => "BUY",
        OrderSide.Sell => "SELL",
        _ => throw new ArgumentOutOfRangeException(nameof(side), side, "unknown order side"),
    };

    public static OrderSide Side(string venue) => venue switch
    {
        "BUY" => OrderSide.Buy,
        "SELL" => OrderSide.Sell,
        _ => throw new Http.MalformedBodyException($"side is '{venue}', expected BUY or SELL"),
    };

    public static string Type(OrderType type) => type switch
    {
        OrderType.Market => "MARKET",
        OrderType.Limit => "LIMIT",
        OrderType.StopMarket => "STOP_MARKET",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "unknown order type"),
    };

    public static OrderType Type(string venue) => venue switch
    {
        "MARKET" => OrderType.Market,
        "LIMIT" => OrderType.Limit,
        "STOP_MARKET" => OrderType.StopMarket,

        // a liquidation is the venue's own market order
        "LIQUIDATION" => OrderType.Market,
        "STOP" or "TAKE_PROFIT" or "TAKE_PROFIT_MARKET" or "TRAILING_STOP_MARKET" => throw new UnsupportedVenueValueException($"order type {venue}"),
        _ => throw new Http.MalformedBodyException($"order type is '{venue}', which Binance does not document"),
    };

    public static string TimeInForce(TimeInForce timeInForce) => timeInForce switch
    {
        Runtime.Execution.TimeInForce.GoodTillCancel => "GTC",
        Runtime.Execution.TimeInForce.PostOnly => "GTX",
        Runtime.Execution.TimeInForce.ImmediateOrCancel => "IOC",
        _ => throw new ArgumentOutOfRangeException(nameof(timeInForce), timeInForce, "unknown time in force"),
    };

    public static TimeInForce TimeInForce(string venue) => venue switch
    {
        "GTC" => Runtime.Execution.TimeInForce.GoodTillCancel,
        "GTX" => Runtime.Execution.TimeInForce.PostOnly,
        "IOC" => Runtime.Execution.TimeInForce.ImmediateOrCancel,
        "FOK" or "GTD" => throw new UnsupportedVenueValueException($"time in force {venue}"),
        _ => throw new Http.MalformedBodyException($"time in force is '{venue}', which Binance does not document"),
    };

    public static OrderStatus Status(string venue) => venue switch
    {
        "NEW" => OrderStatus.New,
        "PARTIALLY_FILLED" => OrderStatus.PartiallyFilled,
        "FILLED" => OrderStatus.Filled,
        "CANCELED" => OrderStatus.Canceled,
        "REJECTED" => OrderStatus.Rejected,
        "EXPIRED" or "EXPIRED_IN_MATCH" => OrderStatus.Expired,
        _ => throw new Http.MalformedBodyException($"order status is '{venue}', which Binance does not document"),
    };

    /// <summary>The execution type <c>x</c> of ORDER_TRADE_UPDATE: only TRADE carries a fill.</summary>
    public static bool IsTrade(string executionType) => executionType switch
    {
        "TRADE" => true,
        "NEW" or "CANCELED" or "CALCULATED" or "EXPIRED" or "AMENDMENT" => false,
        _ => throw new Http.MalformedBodyException($"execution type is '{executionType}', which Binance does not document"),
    };
}

/// <summary>A value the venue documents that StrategyLab does not trade, e.g. a TAKE_PROFIT order placed by hand.</summary>
internal sealed class UnsupportedVenueValueException(string what) : Exception($"{what} is not traded by StrategyLab");
