using System.Globalization;
using System.Text;

namespace StrategyLab.Runtime.Data.Csv;

/// <summary>The rows of one symbol read from one file, in file order, with their line numbers.</summary>
public sealed class SymbolRows(string symbol, int columnCount)
{
    /// <summary>The symbol.</summary>
    public string Symbol { get; } = symbol;

    /// <summary>Bar open times, Unix milliseconds.</summary>
    public List<long> Times { get; } = [];

    /// <summary>The 1-based line of each row in its file (0 for a bar made by a repair).</summary>
    public List<int> Lines { get; } = [];

    /// <summary>Values per column, parallel to <see cref="Times"/>.</summary>
    public List<double>[] Values { get; } = Enumerable.Range(0, columnCount).Select(_ => new List<double>()).ToArray();
}

/// <summary>Everything read from one CSV file.</summary>
public sealed record SourceRows(string File, CsvLayout Layout, IReadOnlyList<string> Columns, IReadOnlyDictionary<string, SymbolRows> Symbols)
{
    /// <summary>True when the rows are candles (open, high, low, close).</summary>
    public bool HasCandles => Layout.HasCandles;
}

/// <summary>
/// Reads CSV text into per-symbol rows, checking every field: times and numbers must parse,
/// required fields must be present, prices must be positive and the high not below the low.
/// Each failure names the file, line and field. Invalid rows are dropped only when the repair
/// policy says so, and each drop is logged.
/// </summary>
public static class CsvImporter
{
    /// <summary>Reads <paramref name="text"/> (the whole file, or a tail starting at a line boundary).</summary>
    /// <param name="file">The name used in messages.</param>
    /// <param name="text">UTF-8 CSV text.</param>
    /// <param name="layout">How to read it.</param>
    /// <param name="policy">Which repairs are allowed.</param>
    /// <param name="log">Receives errors and repairs.</param>
    /// <param name="tailHeader">For a tail of a file: the header of the whole file, already consumed.</param>
    /// <param name="lineOffset">For a tail: the number of lines before it.</param>
    public static SourceRows Read(
        string file, ReadOnlySpan<byte> text, CsvLayout layout, RepairPolicy policy, ImportLog log,
        IReadOnlyList<string>? tailHeader = null, int lineOffset = 0)
    {
        var reader = new CsvRecordReader(text, lineOffset);
        var header = tailHeader ?? (layout.Header.IsDefaultOrEmpty ? ReadHeader(ref reader) : layout.Header);
        var columns = layout.Columns.Select(c => c.Target).ToArray();
        var symbols = new Dictionary<string, SymbolRows>(StringComparer.Ordinal);
        var result = new SourceRows(file, layout, columns, symbols);
        if (header is null)
        {
            log.Error(new(DataIssueKind.Layout, file, 1, null, "the file is empty: expected a header row"));
            return result;
        }

        if (reader.UnclosedQuoteLine > 0)
        {
            log.Error(new(DataIssueKind.Layout, file, reader.UnclosedQuoteLine, null, "the quote that opens here is never closed"));
            return result;
        }
        var plan = ColumnPlan.Create(file, header, layout, log);
        if (plan is null)
            return result;

        var format = layout.TimeFormat;
        var values = new double[columns.Length];
        var rowErrors = new List<DataIssue>();
        var hasCandles = layout.HasCandles;
        var rowCount = 0;
        while (reader.MoveNext())
        {
            if (++rowCount % 65536 == 0)
                log.OnProgress?.Invoke(file, (double)reader.Position / text.Length);
            rowErrors.Clear();
            if (reader.UnclosedQuoteLine > 0)
            {
                // the rest of the file is one field: no row after it can be read, so this is never a droppable row
                var field = reader.FieldCount <= header.Count ? header[reader.FieldCount - 1] : null;
                log.Error(new(DataIssueKind.Layout, file, reader.UnclosedQuoteLine, field, "the quote that opens here is never closed"));
                break;
            }
            if (reader.FieldCount != header.Count)
            {
                rowErrors.Add(new(DataIssueKind.Layout, file, reader.Line, null,
                    $"expected {header.Count} fields, found {reader.FieldCount}"));
                Settle(file, reader.Line, rowErrors, policy, log);
                continue;
            }
            if (!plan.Matches(ref reader))
                continue;

            var timeField = reader.Field(plan.Time);
            if (format == TimeFormat.Auto)
                format = TimeParser.Detect(timeField);
            if (!TimeParser.TryParse(timeField, format, out var time))
            {
                rowErrors.Add(new(DataIssueKind.UnparsableTime, file, reader.Line, layout.TimeColumn,
                    $"expected a time, found '{Text(timeField)}'"));
            }

            var symbol = plan.Symbol < 0 ? layout.Symbol! : reader.FieldString(plan.Symbol).Trim();
            if (symbol.Length == 0)
                rowErrors.Add(new(DataIssueKind.MissingValue, file, reader.Line, layout.SymbolColumn, "the symbol is empty"));

            for (var c = 0; c < values.Length; c++)
                values[c] = ReadValue(ref reader, plan.Values[c], layout.Columns[c], file, rowErrors);
            if (hasCandles && rowErrors.Count == 0)
                CheckCandle(values, plan, file, reader.Line, rowErrors);
            foreach (var (index, name) in plan.Volumes)
                CheckVolume(values[index], ref reader, plan.Values[index], name, file, rowErrors);

            if (rowErrors.Count > 0)
            {
                Settle(file, reader.Line, rowErrors, policy, log);
                continue;
            }

            if (!symbols.TryGetValue(symbol, out var rows))
                symbols[symbol] = rows = new SymbolRows(symbol, values.Length);
            rows.Times.Add(time);
            rows.Lines.Add(reader.Line);
            for (var c = 0; c < values.Length; c++)
                rows.Values[c].Add(values[c]);
        }
        if (rowCount == 0 && tailHeader is null)
            log.Error(new(DataIssueKind.Layout, file, 1, null, layout.Header.IsDefaultOrEmpty ? "the file has a header but no rows" : "the file has no rows"));
        return result;
    }

    /// <summary>Reads the header row of a file, or null when the file is empty.</summary>
    public static IReadOnlyList<string>? ReadHeader(ReadOnlySpan<byte> text)
    {
        var reader = new CsvRecordReader(text);
        return ReadHeader(ref reader);
    }

    private static IReadOnlyList<string>? ReadHeader(ref CsvRecordReader reader)
    {
        if (!reader.MoveNext())
            return null;
        var names = new string[reader.FieldCount];
        for (var i = 0; i < names.Length; i++)
            names[i] = reader.FieldString(i).Trim();
        return names;
    }

    private static double ReadValue(ref CsvRecordReader reader, int field, ColumnMapping map, string file, List<DataIssue> errors)
    {
        if (field < 0)
            return double.NaN;
        var raw = reader.Field(field).Trim(" "u8);
        if (raw.IsEmpty)
        {
            if (map.Required)
                errors.Add(new(DataIssueKind.MissingValue, file, reader.Line, map.Source, "the value is empty"));
            return double.NaN;
        }
        if (!double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
        {
            errors.Add(new(DataIssueKind.UnparsableNumber, file, reader.Line, map.Source, $"expected a number, found '{Text(raw)}'"));
            return double.NaN;
        }
        if (!double.IsFinite(v))
        {
            if (map.Required)
                errors.Add(new(DataIssueKind.MissingValue, file, reader.Line, map.Source, $"expected a finite number, found '{Text(raw)}'"));
            return double.NaN;
        }
        return v * map.Scale;
    }

    private static void CheckCandle(double[] v, ColumnPlan plan, string file, int line, List<DataIssue> errors)
    {
        foreach (var (index, name) in plan.Prices)
        {
            if (v[index] <= 0)
                errors.Add(new(DataIssueKind.NonPositivePrice, file, line, name, $"expected a positive price, found {Number(v[index])}"));
        }
        var (open, high, low, close) = (v[plan.Open], v[plan.High], v[plan.Low], v[plan.Close]);
        if (high < low)
        {
            errors.Add(new(DataIssueKind.HighBelowLow, file, line, plan.HighName, $"the high {Number(high)} is below the low {Number(low)}"));
            return;
        }
        // the high and low bound every trade of the bar, the first (open) and the last (close) among them
        if (high < open || high < close)
        {
            var (bound, what) = high < open ? (open, "open") : (close, "close");
            errors.Add(new(DataIssueKind.PriceOutsideRange, file, line, plan.HighName, $"the high {Number(high)} is below the {what} {Number(bound)}"));
        }
        if (low > open || low > close)
        {
            var (bound, what) = low > open ? (open, "open") : (close, "close");
            errors.Add(new(DataIssueKind.PriceOutsideRange, file, line, plan.LowName, $"the low {Number(low)} is above the {what} {Number(bound)}"));
        }
    }

    // an empty volume is missing; a written one is a count of units traded: finite and not negative
    private static void CheckVolume(double value, ref CsvRecordReader reader, int field, string name, string file, List<DataIssue> errors)
    {
        if (field < 0)
            return;
        var raw = reader.Field(field).Trim(" "u8);
        if (raw.IsEmpty)
            return;
        if (double.IsNaN(value) && double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
            errors.Add(new(DataIssueKind.InvalidVolume, file, reader.Line, name, $"expected a finite volume, found '{Text(raw)}'"));
        else if (value < 0)
            errors.Add(new(DataIssueKind.InvalidVolume, file, reader.Line, name, $"expected a volume of zero or more, found {Number(value)}"));
    }

    private static string Number(double x) => x.ToString(CultureInfo.InvariantCulture);

    private static void Settle(string file, int line, List<DataIssue> errors, RepairPolicy policy, ImportLog log)
    {
        if (policy.InvalidRows == RowRepair.Drop)
        {
            log.DropRow(new(errors[0].Kind, file, line, errors[0].Field, "dropped the row: " + errors[0].Message));
            return;
        }
        foreach (var e in errors)
            log.Error(e);
    }

    private static string Text(ReadOnlySpan<byte> raw)
    {
        var s = Encoding.UTF8.GetString(raw);
        return s.Length > 40 ? s[..40] + "…" : s;
    }

    /// <summary>Field indices resolved against the header once, before the rows are read.</summary>
    private sealed class ColumnPlan
    {
        public int Time { get; private init; }
        public int Symbol { get; private init; } = -1;
        public int[] Values { get; private init; } = [];
        public (int Field, byte[] Value)[] Filters { get; private init; } = [];
        public (int Index, string Name)[] Prices { get; private init; } = [];
        public (int Index, string Name)[] Volumes { get; private init; } = [];
        public int Open { get; private init; }
        public int High { get; private init; }
        public int Low { get; private init; }
        public int Close { get; private init; }
        public string HighName { get; private init; } = "high";
        public string LowName { get; private init; } = "low";

        public static ColumnPlan? Create(string file, IReadOnlyList<string> header, CsvLayout layout, ImportLog log)
        {
            var ok = CheckUniqueNames(file, header, log);
            int Find(string name, bool required)
            {
                for (var i = 0; i < header.Count; i++)
                {
                    if (string.Equals(header[i], name, StringComparison.Ordinal))
                        return i;
                }
                if (required)
                {
                    log.Error(new(DataIssueKind.Layout, file, 1, name,
                        $"the header has no column '{name}'; it has {string.Join(", ", header)}"));
                    ok = false;
                }
                return -1;
            }

            var time = Find(layout.TimeColumn, true);
            var symbol = layout.SymbolColumn is null ? -1 : Find(layout.SymbolColumn, true);
            if (layout.SymbolColumn is null && string.IsNullOrEmpty(layout.Symbol))
            {
                log.Error(new(DataIssueKind.Layout, file, 1, null, "the file has no symbol column: name the symbol"));
                ok = false;
            }
            var values = layout.Columns.Select(c => Find(c.Source, c.Required)).ToArray();
            var filters = (layout.Where ?? []).Select(w => (Find(w.Key, true), Encoding.UTF8.GetBytes(w.Value))).ToArray();
            var targets = layout.Columns.Select(c => c.Target).ToList();
            (int, string)[] Sources(IEnumerable<string> names) =>
                names.Where(targets.Contains).Select(p => (targets.IndexOf(p), layout.Columns[targets.IndexOf(p)].Source)).ToArray();
            if (!ok)
                return null;
            return new ColumnPlan
            {
                Time = time,
                Symbol = symbol,
                Values = values,
                Filters = filters,
                Prices = Sources(CsvLayout.PriceColumns),
                Volumes = Sources(CsvLayout.VolumeColumns),
                Open = targets.IndexOf("open"),
                High = targets.IndexOf("high"),
                Low = targets.IndexOf("low"),
                Close = targets.IndexOf("close"),
                HighName = layout.Columns.FirstOrDefault(c => c.Target == "high")?.Source ?? "high",
                LowName = layout.Columns.FirstOrDefault(c => c.Target == "low")?.Source ?? "low",
            };
        }

        // two columns of one name make every reference to it ambiguous
        private static bool CheckUniqueNames(string file, IReadOnlyList<string> header, ImportLog log)
        {
            var ok = true;
            var seen = new Dictionary<string, int>(StringComparer.Ordinal);
            for (var i = 0; i < header.Count; i++)
            {
                if (header[i].Length == 0)
                    continue;
                if (seen.TryAdd(header[i], i))
                    continue;
                log.Error(new(DataIssueKind.Layout, file, 1, header[i],
                    $"the header names '{header[i]}' twice (columns {seen[header[i]] + 1} and {i + 1})"));
                ok = false;
            }
            return ok;
        }

        public bool Matches(ref CsvRecordReader reader)
        {
            foreach (var (field, value) in Filters)
            {
                if (!reader.Field(field).SequenceEqual(value))
                    return false;
            }
            return true;
        }
    }
}
