using System.Collections.Immutable;
using System.Globalization;
using StrategyLab.Runtime.Backtest.Reports;

namespace StrategyLab.Runtime.Backtest;

/// <summary>The calendar periods a run's results are broken down by, all in UTC.</summary>
public enum BreakdownPeriod
{
    /// <summary>A UTC day.</summary>
    Day,

    /// <summary>An ISO week: Monday 00:00 to the next Monday.</summary>
    Week,

    /// <summary>A calendar month.</summary>
    Month,

    /// <summary>A calendar year: the study period of the papers the seed strategies come from, which split their results by year.</summary>
    Year,
}

/// <summary>A run's results over one period.</summary>
/// <param name="Start">The period's start, Unix milliseconds UTC (midnight; a Monday for weeks, the 1st for months, 1 January for years).</param>
/// <param name="Bars">Bars whose open time falls in the period.</param>
/// <param name="Return">Π(1 + R) − 1 over those bars.</param>
/// <param name="BenchmarkReturn">The benchmark's return compounded the same way, NaN without a benchmark.</param>
/// <param name="Trades">Round trips closed in the period (by the bar they closed on); open trades are not counted.</param>
/// <param name="Wins">Closed trades with a positive P&amp;L.</param>
/// <param name="Losses">Closed trades with a negative P&amp;L (one of zero is neither).</param>
/// <param name="WinRate">Wins / trades, NaN without trades.</param>
/// <param name="MaxDrawdown">The largest fall of equity from its running peak within the period, the peak starting at the period's opening equity.</param>
public sealed record BreakdownRow(long Start, int Bars, double Return, double BenchmarkReturn, int Trades, int Wins, int Losses, double WinRate, double MaxDrawdown);

/// <summary>
/// Splits a run's bar returns and closed trades by UTC day, ISO week (Monday first), calendar
/// month or calendar year (freqtrade's <c>--breakdown</c>, and the papers' year-long study periods).
/// A bar belongs to the period of its open time. Only periods with at least one bar get a row.
/// </summary>
public static class Breakdown
{
    private const long Day = 86_400_000L;

    // 1970-01-05, the first Monday after the epoch (a Thursday)
    private const long MondayOrigin = 4 * Day;

    /// <summary>The names the command line takes, in order: day, week, month, year.</summary>
    public static ImmutableArray<string> Names { get; } = ["day", "week", "month", "year"];

    /// <summary>Parses <c>day</c>, <c>week</c>, <c>month</c> or <c>year</c>.</summary>
    public static bool TryParse(string? text, out BreakdownPeriod period)
    {
        var i = text is null ? -1 : Names.IndexOf(text);
        period = i >= 0 ? (BreakdownPeriod)i : default;
        return i >= 0;
    }

    /// <summary>The start of the period holding <paramref name="unixMs"/>.</summary>
    public static long PeriodStart(long unixMs, BreakdownPeriod period)
    {
        switch (period)
        {
            case BreakdownPeriod.Day:
                return Floor(unixMs, 0, Day);
            case BreakdownPeriod.Week:
                return Floor(unixMs, MondayOrigin, 7 * Day);
            case BreakdownPeriod.Month:
            case BreakdownPeriod.Year:
                var d = DateTimeOffset.FromUnixTimeMilliseconds(unixMs);
                var start = new DateTimeOffset(d.Year, period == BreakdownPeriod.Month ? d.Month : 1, 1, 0, 0, 0, TimeSpan.Zero);
                return start.ToUnixTimeMilliseconds();
            default:
                throw new ArgumentOutOfRangeException(nameof(period), period, null);
        }
    }

    /// <summary>The start of the period after the one starting at <paramref name="start"/>.</summary>
    public static long PeriodEnd(long start, BreakdownPeriod period)
    {
        var d = DateTimeOffset.FromUnixTimeMilliseconds(start);
        return period switch
        {
            BreakdownPeriod.Day => start + Day,
            BreakdownPeriod.Week => start + 7 * Day,
            BreakdownPeriod.Month => d.AddMonths(1).ToUnixTimeMilliseconds(),
            BreakdownPeriod.Year => d.AddYears(1).ToUnixTimeMilliseconds(),
            _ => throw new ArgumentOutOfRangeException(nameof(period), period, null),
        };
    }

    /// <summary>How a period is named: <c>2024-03-05</c> (a day, or the Monday a week starts), <c>2024-03</c>, <c>2024</c>.</summary>
    public static string Label(long start, BreakdownPeriod period)
    {
        var d = DateTimeOffset.FromUnixTimeMilliseconds(start);
        return period switch
        {
            BreakdownPeriod.Month => d.ToString("yyyy-MM", CultureInfo.InvariantCulture),
            BreakdownPeriod.Year => d.ToString("yyyy", CultureInfo.InvariantCulture),
            _ => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        };
    }

    /// <summary>The breakdown of a report's bar returns, benchmark and trades.</summary>
    public static ImmutableArray<BreakdownRow> Of(BacktestReport report, BreakdownPeriod period)
    {
        ArgumentNullException.ThrowIfNull(report);
        return Compute(report.Times, report.Returns, report.BenchmarkReturns, report.Trades, period);
    }

    /// <summary>
    /// One row per period that has bars, in time order. <paramref name="benchmark"/> (optional) holds
    /// returns on the same bars; <paramref name="trades"/> are counted in the period of their exit time.
    /// </summary>
    public static ImmutableArray<BreakdownRow> Compute(
        ReadOnlySpan<long> times, ReadOnlySpan<double> returns, ReadOnlySpan<double> benchmark, IEnumerable<TradeRow> trades, BreakdownPeriod period)
    {
        ArgumentNullException.ThrowIfNull(trades);
        if (returns.Length != times.Length || (!benchmark.IsEmpty && benchmark.Length != times.Length))
            throw new ArgumentException($"{times.Length} bar times, {returns.Length} returns and {benchmark.Length} benchmark returns: each bar needs one of each");
        var rows = new List<BreakdownRow>();
        var t = 0;
        while (t < times.Length)
        {
            var start = PeriodStart(times[t], period);
            var end = PeriodEnd(start, period);
            double equity = 1, peak = 1, drawdown = 0, bench = 1;
            var first = t;
            for (; t < times.Length && times[t] < end; t++)
            {
                equity *= 1 + returns[t];
                peak = Math.Max(peak, equity);
                drawdown = Math.Max(drawdown, 1 - equity / peak);
                if (!benchmark.IsEmpty)
                    bench *= 1 + benchmark[t];
            }
            rows.Add(new BreakdownRow(start, t - first, equity - 1, benchmark.IsEmpty ? double.NaN : bench - 1, 0, 0, 0, double.NaN, drawdown));
        }

        var index = rows.Select((r, i) => (r.Start, i)).ToDictionary(p => p.Start, p => p.i);
        var counts = new (int Trades, int Wins, int Losses)[rows.Count];
        foreach (var trade in trades)
        {
            if (trade.Open || !index.TryGetValue(PeriodStart(trade.ExitTime, period), out var i))
                continue;
            counts[i] = (counts[i].Trades + 1, counts[i].Wins + (trade.Pnl > 0 ? 1 : 0), counts[i].Losses + (trade.Pnl < 0 ? 1 : 0));
        }
        return [.. rows.Select((r, i) => r with
        {
            Trades = counts[i].Trades,
            Wins = counts[i].Wins,
            Losses = counts[i].Losses,
            WinRate = counts[i].Trades > 0 ? (double)counts[i].Wins / counts[i].Trades : double.NaN,
        })];
    }

    private static long Floor(long unixMs, long origin, long size)
    {
        var offset = (unixMs - origin) % size;
        return unixMs - (offset < 0 ? offset + size : offset);
    }
}
