using System.Globalization;
using System.Numerics;
using StrategyLab.Runtime.Data.Csv;

namespace StrategyLab.Runtime.Data;

/// <summary>How the values of one column inside a coarser bar's bucket become that bar's value.</summary>
public enum AggregationRule
{
    /// <summary>The first value present in the bucket (open).</summary>
    First,

    /// <summary>The largest value present (high).</summary>
    Max,

    /// <summary>The smallest value present (low).</summary>
    Min,

    /// <summary>The last value present: a level read at the bar's close (close, open interest, market cap).</summary>
    Last,

    /// <summary>The sum of the values present: a quantity that accumulates over the bar (volume, trades, funding paid).</summary>
    Sum,
}

/// <summary>A panel aggregated to a coarser interval, and how complete its bars are.</summary>
/// <param name="Panel">The aggregated panel: same name, assets and columns, the coarser interval.</param>
/// <param name="SourceInterval">The interval of the candles that were aggregated.</param>
/// <param name="IncompleteBars">Bars (time rows) where at least one asset's candle was built from fewer
/// source candles than the bar holds, for example the first bar when the data starts inside it, an
/// asset listed inside a bar, or a gap in the source data.</param>
/// <param name="IncompleteCandles">Asset candles built from fewer source candles than the bar holds
/// (an asset with no source candle at all in a bar is absent there, not incomplete).</param>
/// <param name="DroppedPartialBar">True when the data ends before its last bar closes, so that bar was left out.</param>
public sealed record ResampleResult(Panel Panel, Interval SourceInterval, int IncompleteBars, long IncompleteCandles, bool DroppedPartialBar)
{
    /// <summary>One line for a run's notes: what was aggregated and how many bars are incomplete.</summary>
    public string Note =>
        string.Create(CultureInfo.InvariantCulture,
            $"candles of {SourceInterval} aggregated to {Panel.Interval}; {IncompleteBars} bar(s) built from incomplete candles ({IncompleteCandles} asset candles)")
        + (DroppedPartialBar ? "; the unclosed last bar left out" : "");
}

/// <summary>
/// Aggregates a panel's candles into a coarser interval that is a whole multiple of the panel's.
/// Bars are aligned to the Unix epoch in UTC (4h bars open at 00:00, 04:00, ...; 1d bars at 00:00),
/// except intervals of whole weeks, which open on Monday 00:00 UTC as exchanges' weekly candles do.
/// Each bar is labelled by its open time (Binance's convention) and holds the source candles whose
/// open time falls in [open, open + interval). Per asset and column, <see cref="RuleFor"/> says how
/// the values present in the bar combine; a bar where an asset has no value of a column is NaN
/// (absent), never zero. A bar is kept when it closes no later than the data ends (the last source
/// candle's close): the trailing bar the data ends inside is left out, because live trading decides
/// only on closed bars; every other bar, the first and those with gaps included, is built from the
/// candles it has, and the bars built from incomplete candles are counted.
/// </summary>
public static class Resample
{
    private const long Day = 86_400_000L;
    private const long Week = 7 * Day;

    // 1970-01-05, the first Monday after the epoch (a Thursday)
    private const long MondayOrigin = 4 * Day;

    /// <summary>
    /// The rule for a column, by what it means:
    /// <list type="bullet">
    /// <item><c>open</c>: <see cref="AggregationRule.First"/>; <c>high</c>: <see cref="AggregationRule.Max"/>;
    /// <c>low</c>: <see cref="AggregationRule.Min"/>; <c>close</c>: <see cref="AggregationRule.Last"/>.</item>
    /// <item><c>volume</c>, <c>quote_volume</c>, <c>trades</c>, <c>taker_buy_volume</c>,
    /// <c>taker_buy_quote_volume</c>: <see cref="AggregationRule.Sum"/>, amounts traded during the bar.</item>
    /// <item><c>funding_rate</c>: <see cref="AggregationRule.Sum"/>. Datasets carry the rate on the bar a
    /// funding payment falls in (NaN on the other bars), and the ledger charges every value it finds as one
    /// payment, so the coarser bar holds the sum of the rates paid inside it: the same total is charged,
    /// and a bar without a payment stays NaN.</item>
    /// <item>every other column — <c>open_interest</c>, <c>open_interest_value</c>, <c>market_cap</c>,
    /// <c>mark_price</c>, <c>rank</c>, <c>circulating_supply</c>, and any unknown column:
    /// <see cref="AggregationRule.Last"/>, a level known at the bar's close.</item>
    /// </list>
    /// </summary>
    public static AggregationRule RuleFor(string column) => column switch
    {
        "open" => AggregationRule.First,
        "high" => AggregationRule.Max,
        "low" => AggregationRule.Min,
        "volume" or "quote_volume" or "trades" or "taker_buy_volume" or "taker_buy_quote_volume" or "funding_rate" => AggregationRule.Sum,
        _ => AggregationRule.Last,
    };

    /// <summary>The open time of the <paramref name="interval"/> bar that holds time <paramref name="unixMs"/>.</summary>
    public static long BarOpen(long unixMs, Interval interval)
    {
        var size = interval.Milliseconds;
        var origin = size % Week == 0 ? MondayOrigin : 0;
        var offset = (unixMs - origin) % size;
        return unixMs - (offset < 0 ? offset + size : offset);
    }

    /// <summary>
    /// Why <paramref name="source"/> candles cannot be aggregated to <paramref name="target"/> bars,
    /// or null when they can (the target is the same or a whole multiple).
    /// </summary>
    public static string? Refusal(Interval source, Interval target)
    {
        if (target.Milliseconds < source.Milliseconds)
            return $"{target} bars are finer than the data's {source} candles; candles can only be aggregated into coarser bars";
        if (target.Milliseconds % source.Milliseconds != 0)
            return $"{target} bars are not a whole number of the data's {source} candles, so the candles cannot be aggregated into them";
        return null;
    }

    /// <summary>
    /// Aggregates <paramref name="panel"/> to <paramref name="interval"/>. Throws an
    /// <see cref="ArgumentException"/> when the interval is finer than the panel's or not a whole
    /// multiple of it, or when a source candle would straddle two bars.
    /// </summary>
    public static ResampleResult To(Panel panel, Interval interval)
    {
        ArgumentNullException.ThrowIfNull(panel);
        if (Refusal(panel.Interval, interval) is { } why)
            throw new ArgumentException($"dataset '{panel.Name}': {why}");
        var step = panel.Interval.Milliseconds;
        var perBar = (int)(interval.Milliseconds / step);
        var times = panel.Times;
        var n = times.Length;
        var a = panel.AssetCount;

        // each source row's bar, and the bars that close by the time the data ends
        var rowBar = new int[n];
        var opens = new List<long>();
        for (var t = 0; t < n; t++)
        {
            var open = BarOpen(times[t], interval);
            if (BarOpen(times[t] + step - 1, interval) != open)
            {
                throw new ArgumentException(
                    $"dataset '{panel.Name}': the {panel.Interval} candle at {TimeParser.Format(times[t])} straddles two {interval} bars; its times are not aligned to {panel.Interval}");
            }
            if (opens.Count == 0 || opens[^1] != open)
                opens.Add(open);
            rowBar[t] = opens.Count - 1;
        }
        var dropped = n > 0 && opens[^1] + interval.Milliseconds > times[n - 1] + step;
        if (dropped)
        {
            opens.RemoveAt(opens.Count - 1);
            for (var t = n - 1; t >= 0 && rowBar[t] == opens.Count; t--)
                rowBar[t] = -1;
        }
        var bars = opens.Count;
        var rows = rowBar.AsSpan(0, KeptRows(rowBar));

        var columns = new double[panel.Columns.Length][];
        for (var c = 0; c < columns.Length; c++)
        {
            var name = panel.Columns[c];
            columns[c] = Aggregate(panel.Column(name), rows, bars, a, RuleFor(name));
        }
        var presence = panel.HasColumn("close") ? "close" : panel.Columns.Length > 0 ? panel.Columns[0] : null;
        var (incompleteBars, incompleteCandles) = presence is null ? (0, 0L) : CountIncomplete(panel.Column(presence), rows, bars, a, perBar);
        var result = new Panel(panel.Name, interval, panel.Symbols, panel.Columns, new ArrayColumnStore([.. opens], columns))
        {
            ContentHash = panel.ContentHash,
        };
        return new ResampleResult(result, panel.Interval, incompleteBars, incompleteCandles, dropped);
    }

    // rows after the last kept bar belong to the dropped bar, and come last
    private static int KeptRows(int[] rowBar)
    {
        var end = rowBar.Length;
        while (end > 0 && rowBar[end - 1] < 0)
            end--;
        return end;
    }

    // one pass down the column: each source row folds into its bar's row, a vector of assets at a time
    private static double[] Aggregate(ReadOnlySpan<double> source, ReadOnlySpan<int> rowBar, int bars, int a, AggregationRule rule)
    {
        var result = GC.AllocateUninitializedArray<double>(bars * a);
        result.AsSpan().Fill(double.NaN);
        for (var t = 0; t < rowBar.Length; t++)
            Fold(source.Slice(t * a, a), result.AsSpan(rowBar[t] * a, a), rule);
        return result;
    }

    // x == x is false only for NaN, so the masks below say where a value is present
    private static void Fold(ReadOnlySpan<double> s, Span<double> d, AggregationRule rule)
    {
        var i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= d.Length - Vector<double>.Count; i += Vector<double>.Count)
            {
                var v = new Vector<double>(s[i..]);
                var acc = new Vector<double>(d[i..]);
                var present = Vector.Equals(v, v);
                var had = Vector.Equals(acc, acc);
                var next = rule switch
                {
                    AggregationRule.First => Vector.ConditionalSelect(had, acc, v),
                    AggregationRule.Last => Vector.ConditionalSelect(present, v, acc),
                    AggregationRule.Max => Vector.ConditionalSelect(present & ~Vector.LessThanOrEqual(v, acc), v, acc),
                    AggregationRule.Min => Vector.ConditionalSelect(present & ~Vector.GreaterThanOrEqual(v, acc), v, acc),
                    AggregationRule.Sum => Vector.ConditionalSelect(present, Vector.ConditionalSelect(had, acc + v, v), acc),
                    _ => throw new ArgumentOutOfRangeException(nameof(rule), rule, null),
                };
                next.CopyTo(d[i..]);
            }
        }
        for (; i < d.Length; i++)
        {
            double v = s[i], acc = d[i];
            bool present = !double.IsNaN(v), had = !double.IsNaN(acc);
            d[i] = rule switch
            {
                AggregationRule.First => had ? acc : v,
                AggregationRule.Last => present ? v : acc,
                // !(v <= acc) also takes v while acc is still NaN
                AggregationRule.Max => present && !(v <= acc) ? v : acc,
                AggregationRule.Min => present && !(v >= acc) ? v : acc,
                AggregationRule.Sum => present ? had ? acc + v : v : acc,
                _ => throw new ArgumentOutOfRangeException(nameof(rule), rule, null),
            };
        }
    }

    // an asset's candle is incomplete when it has some but fewer than perBar source candles in its bar
    private static (int Bars, long Candles) CountIncomplete(ReadOnlySpan<double> presence, ReadOnlySpan<int> rowBar, int bars, int a, int perBar)
    {
        var counts = new int[a];
        int incompleteBars = 0;
        long incompleteCandles = 0;
        var t = 0;
        for (var bar = 0; bar < bars; bar++)
        {
            Array.Clear(counts);
            for (; t < rowBar.Length && rowBar[t] == bar; t++)
            {
                var row = presence.Slice(t * a, a);
                for (var i = 0; i < a; i++)
                    counts[i] += double.IsNaN(row[i]) ? 0 : 1;
            }
            var incomplete = 0;
            foreach (var count in counts)
                incomplete += count > 0 && count < perBar ? 1 : 0;
            incompleteCandles += incomplete;
            incompleteBars += incomplete > 0 ? 1 : 0;
        }
        return (incompleteBars, incompleteCandles);
    }
}
