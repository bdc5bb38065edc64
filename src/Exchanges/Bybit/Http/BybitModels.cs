using StrategyLab.Runtime.Execution;

namespace StrategyLab.Exchanges.Bybit.Http;

/// <summary>A body that is not the documented shape; the message names the field.</summary>
internal sealed class BybitMalformedBody(string reason) : Exception(reason);

/// <summary>The envelope of every v5 answer: <c>retCode</c> (0 is success), <c>retMsg</c>, and <c>result</c> when it succeeded.</summary>
internal sealed record BybitEnvelope(int RetCode, string RetMessage);

/// <summary>One page of a cursor-paged list; <see cref="Cursor"/> is null on the last page.</summary>
internal sealed record BybitPage<T>(IReadOnlyList<T> List, string? Cursor);

/// <summary>A contract of <c>GET /v5/market/instruments-info</c> with its filters.</summary>
internal sealed record BybitInstrument(
    string Symbol,
    string ContractType,
    string Status,
    string BaseCoin,
    string QuoteCoin,
    string SettleCoin,
    decimal TickSize,
    decimal QtyStep,
    decimal MinOrderQty,
    decimal MinNotionalValue,
    decimal MaxLeverage);

/// <summary>A kline of <c>GET /v5/market/kline</c> or the <c>kline.*</c> topic; prices stay the venue's text.</summary>
internal sealed record BybitKline(long Start, string Open, string High, string Low, string Close, string Volume, bool Confirmed = true);

/// <summary>A kline of <c>GET /v5/market/kline</c> as history keeps it: every value read exactly as the venue wrote it.</summary>
internal sealed record BybitHistoryKline(long Start, decimal Open, decimal High, decimal Low, decimal Close, decimal Volume, decimal Turnover);

/// <summary>A settled funding rate of <c>GET /v5/market/funding/history</c>.</summary>
internal sealed record BybitFundingRate(string Symbol, decimal FundingRate, long Timestamp);

/// <summary>An order of <c>GET /v5/order/realtime</c>, <c>/v5/order/history</c> or the <c>order</c> topic.</summary>
internal sealed record BybitOrder(
    string OrderId,
    string OrderLinkId,
    string Symbol,
    OrderSide Side,
    string OrderType,
    decimal Price,
    decimal Qty,
    decimal CumExecQty,
    decimal AvgPrice,
    string OrderStatus,
    string RejectReason,
    decimal TriggerPrice,
    int TriggerDirection,
    bool ReduceOnly,
    DateTimeOffset UpdatedTime);

/// <summary>A position of <c>GET /v5/position/list</c> or the <c>position</c> topic: an unsigned size and a side.</summary>
internal sealed record BybitPosition(string Symbol, string Side, decimal Size, decimal AvgPrice)
{
    public decimal Signed => Side == "Sell" ? -Size : Size;
}

/// <summary>A coin of <c>GET /v5/account/wallet-balance</c>: its wallet balance and what is not tied up in margin.</summary>
internal sealed record BybitCoinBalance(string Coin, decimal WalletBalance, decimal Available);

/// <summary>A fill of <c>GET /v5/execution/list</c> or the <c>execution</c> topic.</summary>
internal sealed record BybitExecution(
    string ExecId,
    string OrderId,
    string OrderLinkId,
    string Symbol,
    OrderSide Side,
    decimal ExecPrice,
    decimal ExecQty,
    decimal ExecFee,
    string ExecType,
    bool IsMaker,
    DateTimeOffset ExecTime,
    decimal OrderQty,
    decimal LeavesQty,
    decimal OrderPrice,
    string OrderType);

/// <summary>An entry of <c>GET /v5/account/transaction-log</c>; <see cref="Change"/> is the wallet's change (received &gt; 0).</summary>
internal sealed record BybitTransaction(string Id, string Symbol, string Type, string Currency, decimal Change, DateTimeOffset Time);
