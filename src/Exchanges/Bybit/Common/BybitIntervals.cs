using StrategyLab.Runtime.Data;
using StrategyLab.Runtime.Execution;

namespace StrategyLab.Exchanges.Bybit.Common;

/// <summary>
/// Kline intervals as Bybit names them (https://bybit-exchange.github.io/docs/v5/market/kline): minutes 1, 3, 5, 15, 30,
/// 60, 120, 240, 360, 720, then D and W. Months (M) vary in length and are not served here.
/// </summary>
internal static class BybitIntervals
{
    private static readonly (long Minutes, string Name)[] Names =
    [
        (1, "1"), (3, "3"), (5, "5"), (15, "15"), (30, "30"), (60, "60"), (120, "120"), (240, "240"), (360, "360"), (720, "720"),
        (1440, "D"), (10080, "W"),
    ];

    /// <summary>Bybit's name of <paramref name="interval"/>.</summary>
    /// <exception cref="ExchangeError">Bybit has no such kline interval (kind Rejected).</exception>
    public static string Name(Interval interval)
    {
        foreach (var (minutes, name) in Names)
        {
            if (interval.Milliseconds == minutes * 60_000)
            {
                return name;
            }
        }

        throw new ExchangeError(
            $"Bybit has no {interval} klines; it serves 1m, 3m, 5m, 15m, 30m, 1h, 2h, 4h, 6h, 12h, 1d and 1w",
            Runtime.Execution.ExchangeErrorKind.Rejected);
    }
}
