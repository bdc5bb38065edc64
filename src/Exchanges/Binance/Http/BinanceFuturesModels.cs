using StrategyLab.Runtime.Execution;

namespace StrategyLab.Exchanges.Binance.Http;

/// <summary>One symbol of <c>GET /fapi/v1/exchangeInfo</c> with the filters an order must pass (0 where the venue sent none).</summary>
internal sealed record BinanceSymbol(
    string Symbol,
    string Status,
    string ContractType,
    string BaseAsset,
    string QuoteAsset,
    string MarginAsset,
    decimal TickSize,
    decimal MinPrice,
    decimal MaxPrice,
    decimal StepSize,
    decimal MinQuantity,
    decimal MaxQuantity,
    decimal MarketStepSize,
    decimal MarketMinQuantity,
    decimal MarketMaxQuantity,
    decimal MinNotional,
    IReadOnlyList<string> OrderTypes,
    IReadOnlyList<string> TimeInForce);

/// <summary>One entry of <c>rateLimits</c>: REQUEST_WEIGHT or ORDERS, per window.</summary>
internal sealed record BinanceRateLimit(string Type, TimeSpan Window, int Limit);

/// <summary><c>GET /fapi/v1/exchangeInfo</c>: the venue's rate limits and its symbols.</summary>
internal sealed record BinanceExchangeInfo(IReadOnlyList<BinanceRateLimit> RateLimits, IReadOnlyList<BinanceSymbol> Symbols);

/// <summary>An order as <c>POST</c>, <c>GET</c> and <c>DELETE /fapi/v1/order</c> and <c>GET /fapi/v1/openOrders</c> answer it.</summary>
internal sealed record BinanceOrder(
    string Symbol,
    long OrderId,
    string ClientOrderId,
    OrderSide Side,
    OrderType Type,
    TimeInForce TimeInForce,
    OrderStatus Status,
    decimal Quantity,
    decimal ExecutedQuantity,
    decimal Price,
    decimal AveragePrice,
    decimal StopPrice,
    bool ReduceOnly,
    DateTimeOffset UpdateTime);

/// <summary>One row of <c>GET /fapi/v3/positionRisk</c>; <see cref="Amount"/> is signed (short &lt; 0).</summary>
internal sealed record BinancePosition(
    string Symbol, string PositionSide, decimal Amount, decimal EntryPrice, decimal MarkPrice, decimal UnrealizedProfit, DateTimeOffset UpdateTime);

/// <summary>One asset of <c>GET /fapi/v3/balance</c>.</summary>
internal sealed record BinanceBalance(string Asset, decimal WalletBalance, decimal AvailableBalance, DateTimeOffset UpdateTime);

/// <summary>One fill of <c>GET /fapi/v1/userTrades</c>.</summary>
internal sealed record BinanceUserTrade(
    long Id,
    long OrderId,
    string Symbol,
    OrderSide Side,
    decimal Price,
    decimal Quantity,
    decimal Commission,
    string CommissionAsset,
    bool Maker,
    decimal RealizedPnl,
    DateTimeOffset Time);

/// <summary>One row of <c>GET /fapi/v1/income</c>: positive income flows into the account.</summary>
internal sealed record BinanceIncome(string Symbol, string IncomeType, decimal Income, string Asset, DateTimeOffset Time, long TransactionId, string TradeId);

/// <summary>The answer of <c>POST /fapi/v1/leverage</c>.</summary>
internal sealed record BinanceLeverage(string Symbol, int Leverage, decimal MaxNotionalValue);

/// <summary>How isolated or cross margin is set per symbol (<c>POST /fapi/v1/marginType</c>).</summary>
public enum BinanceMarginType
{
    /// <summary>Margin held per position.</summary>
    Isolated,

    /// <summary>Margin shared across positions.</summary>
    Crossed,
}
