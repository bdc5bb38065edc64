namespace StrategyLab.Exchanges.Binance.Http;

/// <summary>
/// One kline of <c>GET /fapi/v1/klines</c>. <see cref="Fields"/> holds the twelve values exactly as the venue sent them
/// (open time, open, high, low, close, volume, close time, quote volume, trade count, taker buy volume,
/// taker buy quote volume, ignore), so they can be written to CSV without reformatting a decimal.
/// </summary>
internal sealed record BinanceKline(long OpenTime, long CloseTime, IReadOnlyList<string> Fields);

/// <summary>
/// One record of <c>GET /fapi/v1/fundingRate</c>, texts as sent. <see cref="MarkPrice"/> is empty when the venue
/// sent none (older records and older versions of the endpoint have no mark price).
/// </summary>
internal sealed record BinanceFundingRate(long FundingTime, string Symbol, string FundingRate, string MarkPrice);

/// <summary>One record of <c>GET /futures/data/openInterestHist</c>, texts as sent.</summary>
internal sealed record BinanceOpenInterest(long Timestamp, string Symbol, string SumOpenInterest, string SumOpenInterestValue);

/// <summary>The error payload Binance sends with a 4xx, e.g. <c>{"code":-1121,"msg":"Invalid symbol."}</c>.</summary>
internal sealed record BinanceErrorBody(int Code, string Message);

/// <summary>A response body that could not be read as the documented shape; <see cref="Exception.Message"/> says what was wrong.</summary>
internal sealed class MalformedBodyException(string reason) : Exception(reason);
