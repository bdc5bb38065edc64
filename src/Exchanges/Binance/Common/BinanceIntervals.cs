using System.Collections.Frozen;

namespace StrategyLab.Exchanges.Binance.Common;

/// <summary>
/// Kline intervals and open-interest periods accepted by Binance USDⓈ-M futures, as listed on
/// https://developers.binance.com/docs/derivatives/usds-margined-futures/market-data/rest-api/Kline-Candlestick-Data
/// (enum definitions) and .../Open-Interest-Statistics (period).
/// </summary>
internal static class BinanceIntervals
{
    private const long Minute = 60_000;
    private const long Hour = 60 * Minute;
    private const long Day = 24 * Hour;

    /// <summary>Kline intervals in the venue's order; <c>1M</c> is a calendar month and has no fixed length.</summary>
    public static readonly IReadOnlyList<string> KlineIntervals =
        ["1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h", "1d", "3d", "1w", "1M"];

    /// <summary>Open-interest statistics periods in the venue's order.</summary>
    public static readonly IReadOnlyList<string> OpenInterestPeriods =
        ["5m", "15m", "30m", "1h", "2h", "4h", "6h", "12h", "1d"];

    private static readonly FrozenDictionary<string, long> FixedLengths = new Dictionary<string, long>(StringComparer.Ordinal)
    {
        ["1m"] = Minute,
        ["3m"] = 3 * Minute,
        ["5m"] = 5 * Minute,
        ["15m"] = 15 * Minute,
        ["30m"] = 30 * Minute,
        ["1h"] = Hour,
        ["2h"] = 2 * Hour,
        ["4h"] = 4 * Hour,
        ["6h"] = 6 * Hour,
        ["8h"] = 8 * Hour,
        ["12h"] = 12 * Hour,
        ["1d"] = Day,
        ["3d"] = 3 * Day,
        ["1w"] = 7 * Day,
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>Returns the length of a fixed interval in milliseconds, or null for <c>1M</c>.</summary>
    public static long? LengthMilliseconds(string interval) =>
        FixedLengths.TryGetValue(interval, out var length) ? length : null;

    /// <summary>Throws an <see cref="ExchangeException"/> naming the accepted values if <paramref name="interval"/> is not a kline interval.</summary>
    public static void ValidateKlineInterval(string? interval) =>
        Validate(interval, KlineIntervals, "interval", "Binance USDⓈ-M futures klines");

    /// <summary>Throws an <see cref="ExchangeException"/> naming the accepted values if <paramref name="period"/> is not an open-interest period.</summary>
    public static void ValidateOpenInterestPeriod(string? period) =>
        Validate(period, OpenInterestPeriods, "period", "Binance open-interest statistics");

    private static void Validate(string? value, IReadOnlyList<string> accepted, string what, string where)
    {
        if (value is not null && accepted.Contains(value, StringComparer.Ordinal))
        {
            return;
        }

        var shown = value is null ? "nothing" : $"'{value}'";
        var hint = value is null ? null : Suggest(value, accepted);
        var message = $"unknown {what} {shown}; {where} accept {string.Join(", ", accepted)}"
            + (hint is null ? "" : $" (did you mean '{hint}'?)");
        throw new ExchangeException(ExchangeErrorKind.InvalidRequest, message);
    }

    // "1H" → "1h", "1D" → "1d", "1min" → "1m"; months keep their capital M, so "1mo" → "1M"
    private static string? Suggest(string value, IReadOnlyList<string> accepted)
    {
        var trimmed = value.Trim();
        string[] candidates =
        [
            trimmed,
            trimmed.ToLowerInvariant(),
            trimmed.Replace("min", "m", StringComparison.OrdinalIgnoreCase),
            trimmed.Equals("1mo", StringComparison.OrdinalIgnoreCase) || trimmed.Equals("1month", StringComparison.OrdinalIgnoreCase) ? "1M" : "",
        ];
        return candidates.FirstOrDefault(c => accepted.Contains(c, StringComparer.Ordinal));
    }
}
