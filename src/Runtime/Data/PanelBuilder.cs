using System.Collections.Immutable;
using StrategyLab.Runtime.Data.Csv;

namespace StrategyLab.Runtime.Data;

/// <summary>
/// Aligns rows read from one or more files onto one time axis. Candle sources define the assets
/// and the time axis; other sources (market cap, funding, open interest) join onto them by symbol
/// and exact bar time. Sources without candles define both when no candle source is given.
/// </summary>
public static class PanelBuilder
{
    /// <summary>The candle columns, in the order every panel keeps them.</summary>
    public static readonly ImmutableArray<string> CandleColumns = ["open", "high", "low", "close", "volume"];

    /// <summary>Checks order, duplicates and gaps per symbol (repairing only as the policy allows) and aligns the rows.</summary>
    public static Panel Build(string name, Interval interval, IReadOnlyList<SourceRows> sources, RepairPolicy policy, ImportLog log)
    {
        foreach (var source in sources)
        {
            foreach (var rows in source.Symbols.Values)
                Normalize(source, rows, interval, policy, log);
        }
        log.ThrowIfErrors();

        var primary = sources.Any(s => s.HasCandles) ? sources.Where(s => s.HasCandles).ToList() : sources.ToList();
        var symbols = primary.SelectMany(s => s.Symbols.Keys).Distinct().Order(StringComparer.Ordinal).ToImmutableArray();
        var times = UnionTimes(primary.SelectMany(s => s.Symbols.Values));
        var columns = OrderColumns(sources.SelectMany(s => s.Columns));
        var a = symbols.Length;
        var data = columns.Select(_ => NewMissing(times.Length * a)).ToArray();
        var columnIndex = columns.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => p.i);
        var assetIndex = symbols.Select((s, i) => (s, i)).ToDictionary(p => p.s, p => p.i);

        foreach (var source in sources)
        {
            var unknown = new List<string>();
            var offAxis = 0;
            foreach (var rows in source.Symbols.Values)
            {
                if (!assetIndex.TryGetValue(rows.Symbol, out var asset))
                {
                    unknown.Add(rows.Symbol);
                    continue;
                }
                for (var i = 0; i < rows.Times.Count; i++)
                {
                    var t = Array.BinarySearch(times, rows.Times[i]);
                    if (t < 0)
                    {
                        offAxis++;
                        continue;
                    }
                    for (var c = 0; c < source.Columns.Count; c++)
                        data[columnIndex[source.Columns[c]]][t * a + asset] = rows.Values[c][i];
                }
            }
            if (unknown.Count > 0)
            {
                log.Note($"{source.File}: {unknown.Count} symbol(s) have no candles in '{name}' and were not used: " +
                    string.Join(", ", unknown.Order(StringComparer.Ordinal).Take(30)) + (unknown.Count > 30 ? ", …" : ""));
            }
            if (offAxis > 0)
                log.Note($"{source.File}: {offAxis} value(s) fall on times with no bar in '{name}' and were not used");
        }
        return new Panel(name, interval, symbols, columns, new ArrayColumnStore(times, data));
    }

    /// <summary>Puts the candle columns first, then the others in order of first appearance.</summary>
    public static ImmutableArray<string> OrderColumns(IEnumerable<string> columns)
    {
        var all = columns.Distinct().ToList();
        return [.. CandleColumns.Where(all.Contains), .. all.Where(c => !CandleColumns.Contains(c))];
    }

    private static double[] NewMissing(int length)
    {
        var array = GC.AllocateUninitializedArray<double>(length);
        array.AsSpan().Fill(double.NaN);
        return array;
    }

    private static long[] UnionTimes(IEnumerable<SymbolRows> series)
    {
        var set = new HashSet<long>();
        foreach (var s in series)
            set.UnionWith(s.Times);
        var times = set.ToArray();
        Array.Sort(times);
        return times;
    }

    /// <summary>Checks one symbol's rows for order, duplicates and (for candles) gaps.</summary>
    internal static void Normalize(SourceRows source, SymbolRows rows, Interval interval, RepairPolicy policy, ImportLog log)
    {
        if (!CheckOrder(source.File, rows, policy, log))
            return;
        RemoveDuplicates(source.File, rows, policy, log);
        if (source.HasCandles)
            CheckGaps(source, rows, interval, policy, log);
    }

    private static bool CheckOrder(string file, SymbolRows rows, RepairPolicy policy, ImportLog log)
    {
        var firstBad = -1;
        for (var i = 1; i < rows.Times.Count && firstBad < 0; i++)
        {
            if (rows.Times[i] < rows.Times[i - 1])
                firstBad = i;
        }
        if (firstBad < 0)
            return true;
        var issue = new DataIssue(DataIssueKind.NonMonotonicTime, file, rows.Lines[firstBad], null,
            $"{rows.Symbol}: time {TimeParser.Format(rows.Times[firstBad])} is earlier than the row before it ({TimeParser.Format(rows.Times[firstBad - 1])})");
        if (policy.Order == OrderRepair.Error)
        {
            log.Error(issue);
            return false;
        }
        var order = Enumerable.Range(0, rows.Times.Count).OrderBy(i => rows.Times[i]).ToArray(); // stable
        Permute(rows.Times, order);
        Permute(rows.Lines, order);
        foreach (var v in rows.Values)
            Permute(v, order);
        log.Repair(issue with { Message = issue.Message + "; sorted the symbol's rows by time" });
        return true;
    }

    private static void Permute<T>(List<T> list, int[] order)
    {
        var copy = order.Select(i => list[i]).ToArray();
        list.Clear();
        list.AddRange(copy);
    }

    private static void RemoveDuplicates(string file, SymbolRows rows, RepairPolicy policy, ImportLog log)
    {
        var keep = new List<int>(rows.Times.Count);
        for (var i = 0; i < rows.Times.Count; i++)
        {
            if (i > 0 && rows.Times[i] == rows.Times[keep[^1]])
            {
                var issue = new DataIssue(DataIssueKind.DuplicateTime, file, rows.Lines[i], null,
                    $"{rows.Symbol}: a second row for {TimeParser.Format(rows.Times[i])} (the first is on line {rows.Lines[keep[^1]]})");
                if (policy.Duplicates == DuplicateRepair.Error)
                    log.Error(issue);
                else
                    log.Repair(issue with { Message = issue.Message + "; kept the first" });
                continue;
            }
            keep.Add(i);
        }
        if (keep.Count == rows.Times.Count)
            return;
        var order = keep.ToArray();
        Permute(rows.Times, order);
        Permute(rows.Lines, order);
        foreach (var v in rows.Values)
            Permute(v, order);
    }

    private static void CheckGaps(SourceRows source, SymbolRows rows, Interval interval, RepairPolicy policy, ImportLog log)
    {
        var step = interval.Milliseconds;
        var closeIndex = source.Columns.ToList().IndexOf("close");
        for (var i = 1; i < rows.Times.Count; i++)
        {
            var delta = rows.Times[i] - rows.Times[i - 1];
            if (delta == step)
                continue;
            var from = TimeParser.Format(rows.Times[i - 1]);
            var to = TimeParser.Format(rows.Times[i]);
            if (delta % step != 0)
            {
                log.Error(new(DataIssueKind.Gap, source.File, rows.Lines[i], null,
                    $"{rows.Symbol}: {from} to {to} is not a whole number of {interval} bars; is the interval right?"));
                continue;
            }
            var missing = delta / step - 1;
            var issue = new DataIssue(DataIssueKind.Gap, source.File, rows.Lines[i], null,
                $"{rows.Symbol}: {missing} bar(s) missing between {from} and {to}");
            switch (policy.Gaps)
            {
                case GapRepair.Error:
                    log.Error(issue);
                    break;
                case GapRepair.Keep:
                    log.Repair(issue with { Message = issue.Message + "; left missing" });
                    break;
                case GapRepair.ForwardFill:
                    Fill(rows, i, missing, step, closeIndex, source.Columns);
                    log.Repair(issue with { Message = issue.Message + "; filled with the previous close and zero volume" });
                    i += (int)missing;
                    break;
            }
        }
    }

    // inserts flat bars at the previous close: prices = close, every other candle-source column (volumes, counts) = 0
    private static void Fill(SymbolRows rows, int at, long missing, long step, int closeIndex, IReadOnlyList<string> columns)
    {
        var previous = rows.Times[at - 1];
        var close = rows.Values[closeIndex][at - 1];
        var n = (int)missing;
        rows.Times.InsertRange(at, Enumerable.Range(1, n).Select(k => previous + k * step));
        rows.Lines.InsertRange(at, Enumerable.Repeat(0, n));
        for (var c = 0; c < rows.Values.Length; c++)
        {
            var isPrice = CsvLayout.PriceColumns.Contains(columns[c]);
            rows.Values[c].InsertRange(at, Enumerable.Repeat(isPrice ? close : 0.0, n));
        }
    }
}
