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

    /// <summary>The kline intervals history downloads take, named as datasets name them, with Bybit's names; shortest first.</summary>
    public static readonly IReadOnlyList<(string Text, string Name, long Milliseconds)> Downloads =
    [
        ("1m", "1", 60_000), ("3m", "3", 180_000), ("5m", "5", 300_000), ("15m", "15", 900_000), ("30m", "30", 1_800_000),
        ("1h", "60", 3_600_000), ("2h", "120", 7_200_000), ("4h", "240", 14_400_000), ("6h", "360", 21_600_000),
        ("12h", "720", 43_200_000), ("1d", "D", 86_400_000), ("1w", "W", 604_800_000),
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
