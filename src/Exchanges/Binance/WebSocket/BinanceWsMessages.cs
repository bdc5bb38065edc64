using StrategyLab.Runtime.Execution;

namespace StrategyLab.Exchanges.Binance.WebSocket;

/// <summary>A <c>&lt;symbol&gt;@kline_&lt;interval&gt;</c> event: the bar as it stands, <see cref="Closed"/> once final.</summary>
internal sealed record BinanceKlineEvent(
    string Symbol, string Interval, long OpenTime, long CloseTime, decimal Open, decimal High, decimal Low, decimal Close, decimal Volume, bool Closed);

/// <summary>An event of the user data stream.</summary>
internal abstract record BinanceUserEvent(DateTimeOffset EventTime);

/// <summary><c>ORDER_TRADE_UPDATE</c>: an order's state, and a fill when <see cref="IsTrade"/>.</summary>
internal sealed record BinanceOrderUpdate(
    DateTimeOffset EventTime,
    string Symbol,
    string ClientOrderId,
    long OrderId,
    OrderSide Side,
    OrderType Type,
    OrderStatus Status,
    decimal Quantity,
    decimal Price,
    decimal AveragePrice,
    bool IsTrade,
    decimal LastFilledQuantity,
    decimal FilledQuantity,
    decimal LastFilledPrice,
    decimal Commission,
    string CommissionAsset,
    DateTimeOffset TradeTime,
    long TradeId,
    bool Maker,
    bool ReduceOnly) : BinanceUserEvent(EventTime);

/// <summary>One balance of <c>ACCOUNT_UPDATE</c>.</summary>
internal sealed record BinanceBalanceChange(string Asset, decimal WalletBalance, decimal CrossWalletBalance, decimal BalanceChange);

/// <summary>One position of <c>ACCOUNT_UPDATE</c>.</summary>
internal sealed record BinancePositionChange(string Symbol, decimal Amount, decimal EntryPrice, decimal UnrealizedProfit, string MarginType, string PositionSide);

/// <summary><c>ACCOUNT_UPDATE</c>: balances and positions that changed, and why (<see cref="Reason"/>, e.g. ORDER, FUNDING_FEE).</summary>
internal sealed record BinanceAccountUpdate(
    DateTimeOffset EventTime, string Reason, IReadOnlyList<BinanceBalanceChange> Balances, IReadOnlyList<BinancePositionChange> Positions)
    : BinanceUserEvent(EventTime);

/// <summary><c>listenKeyExpired</c>: no more events until a new listen key is used.</summary>
internal sealed record BinanceListenKeyExpired(DateTimeOffset EventTime) : BinanceUserEvent(EventTime);

/// <summary>An event StrategyLab does not act on (MARGIN_CALL, ACCOUNT_CONFIG_UPDATE, TRADE_LITE, ...), or an order of a type it does not trade.</summary>
internal sealed record BinanceOtherEvent(DateTimeOffset EventTime, string Type, string Detail) : BinanceUserEvent(EventTime);
