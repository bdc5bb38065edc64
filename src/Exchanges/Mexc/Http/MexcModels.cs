namespace StrategyLab.Exchanges.Mexc.Http;

/// <summary>A body that is not the documented shape.</summary>
internal sealed class MexcMalformedBody(string reason) : Exception(reason);

/// <summary>An order as the order endpoints answer it; <c>vol</c> and <c>dealVol</c> in contracts.</summary>
internal sealed record MexcOrder(
    string OrderId,
    string Symbol,
    decimal Price,
    decimal Vol,
    int Side,
    int OrderType,
    decimal DealAvgPrice,
    decimal DealVol,
    int State,
    string ExternalOid,
    int ErrorCode,
    long UpdateTime);

/// <summary>A trigger (plan) order; <see cref="OrderId"/> is the order it placed when triggered, if any.</summary>
internal sealed record MexcPlanOrder(string Id, string Symbol, int Side, decimal Vol, decimal TriggerPrice, int State, string? OrderId, int ErrorCode, long UpdateTime);

/// <summary>An open position; <c>holdVol</c> in contracts, <c>positionType</c> 1 long, 2 short.</summary>
internal sealed record MexcPosition(long PositionId, string Symbol, int PositionType, decimal HoldVol, decimal HoldAvgPrice, int Leverage, long CreateTime);

/// <summary>A currency of the futures account.</summary>
internal sealed record MexcAsset(string Currency, decimal Equity, decimal CashBalance, decimal AvailableBalance, decimal PositionMargin, decimal FrozenBalance, decimal Unrealized);

/// <summary>A fill (order deal); <c>vol</c> in contracts.</summary>
internal sealed record MexcDeal(string Id, string Symbol, int Side, decimal Vol, decimal Price, decimal Fee, string FeeCurrency, bool IsTaker, string OrderId, long Timestamp);

/// <summary>A funding settlement of a position; <c>funding</c> as the venue states it.</summary>
internal sealed record MexcFunding(long Id, string Symbol, int PositionType, decimal PositionValue, decimal Funding, decimal Rate, long SettleTime);

/// <summary>One kline: window start in Unix seconds, prices, and volume in contracts.</summary>
internal sealed record MexcKline(long Time, decimal Open, decimal High, decimal Low, decimal Close, decimal Vol);

/// <summary>
/// One kline as history keeps it, every number read exactly as the venue wrote it: window start in Unix seconds,
/// prices, volume in contracts (<c>vol</c>) and turnover in the quote currency (<c>amount</c>).
/// </summary>
internal sealed record MexcHistoryKline(long Time, decimal Open, decimal High, decimal Low, decimal Close, decimal Vol, decimal Amount);

/// <summary>A settled funding rate of <c>GET /api/v1/contract/funding_rate/history</c>; its time in Unix milliseconds.</summary>
internal sealed record MexcFundingRate(string Symbol, decimal FundingRate, long SettleTime);

/// <summary>A page of a paged answer.</summary>
internal sealed record MexcPage<T>(IReadOnlyList<T> Items, int TotalPage, int CurrentPage);
