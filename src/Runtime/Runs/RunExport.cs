using System.Globalization;
using System.Text;
using Parquet;
using Parquet.Schema;
using StrategyLab.Runtime.Data.Csv;
using StrategyLab.Runtime.Evaluation;
using StrategyLab.Runtime.Models.Training;
using StrategyLab.Runtime.Plan;

namespace StrategyLab.Runtime.Runs;

/// <summary>A table a backtest can export.</summary>
public enum ExportTable
{
    /// <summary>Every named signal by bar and asset (rows where one has a value).</summary>
    Signals,
    /// <summary>The target weights by bar and asset (rows where the target is not flat).</summary>
    Weights,
    /// <summary>The round trips: asset, side, entry and exit, P&amp;L.</summary>
    Trades,
    /// <summary>Equity, return, exposure and turnover by bar.</summary>
    Equity,
}

/// <summary>
/// Writes a backtest's signals, target weights, trades or equity as a table in long form (one row
/// per bar, or per bar and asset), as CSV or, when the file name ends in <c>.parquet</c>, as
/// Parquet. Times are UTC: ISO 8601 text in CSV, timestamps in Parquet. The file appears whole or
/// not at all (written beside it, then renamed).
/// </summary>
public static class RunExport
{
    /// <summary>The table's name as the command line writes it (<c>signals</c>, <c>weights</c>…).</summary>
    public static string Name(ExportTable table) => table.ToString().ToLowerInvariant();

    /// <summary>The table of that name, or null.</summary>
    public static ExportTable? Parse(string name) =>
        Enum.GetValues<ExportTable>().Select(t => (ExportTable?)t).FirstOrDefault(t => Name(t!.Value) == name);

    /// <summary>Writes <paramref name="table"/> of <paramref name="result"/> to <paramref name="path"/>.</summary>
    public static void Write(string path, ExportTable table, PreparedRun run, StrategyBacktestResult result, ModelTrainingResult? models = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(result);
        var columns = table switch
        {
            ExportTable.Signals => Signals(run, result, models),
            ExportTable.Weights => Weights(result),
            ExportTable.Trades => Trades(result),
            ExportTable.Equity => Equity(result),
            _ => throw new ArgumentOutOfRangeException(nameof(table)),
        };
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(folder);
        var partial = Path.Combine(folder, $".{Path.GetFileName(path)}.{Environment.ProcessId}.partial");
        try
        {
            if (path.EndsWith(".parquet", StringComparison.OrdinalIgnoreCase))
                WriteParquet(partial, columns);
            else
                File.WriteAllText(partial, Csv(columns));
            File.Move(partial, path, overwrite: true);
        }
        finally
        {
            File.Delete(partial);
        }
    }

    // a table as named columns of one length: times (Unix ms), text or numbers
    private abstract record Column(string Name);

    private sealed record TimeColumn(string Name, long[] Values) : Column(Name);

    private sealed record TextColumn(string Name, string[] Values) : Column(Name);

    private sealed record NumberColumn(string Name, double[] Values) : Column(Name);

    private static List<Column> Signals(PreparedRun run, StrategyBacktestResult result, ModelTrainingResult? models)
    {
        var plan = run.Plan;
        var named = plan.Named.Where(n => n.Role == SeriesRole.Signal).ToList();
        if (named.Count == 0)
            throw new PlanException($"--export signals: strategy '{plan.Name}' declares no signal");
        var values = BatchEvaluator.Evaluate(plan, run.Panel, result.Parameters, [.. named.Select(n => n.Node)], models?.Predictions);
        var panel = result.Panel;
        var a = panel.AssetCount;
        var offset = run.Panel.TimeIndexAtOrAfter(panel.Times[0]);
        var rows = new List<(int Bar, int Asset)>();
        for (var t = 0; t < panel.TimeCount; t++)
        {
            for (var i = 0; i < a; i++)
            {
                if (named.Any(n => !double.IsNaN(values[n.Node]![((offset + t) * a) + i])))
                    rows.Add((t, i));
            }
        }
        return [
            new TimeColumn("time", [.. rows.Select(r => panel.Times[r.Bar])]),
            new TextColumn("symbol", [.. rows.Select(r => panel.Symbols[r.Asset])]),
            .. named.Select(n => new NumberColumn(n.Name, [.. rows.Select(r => values[n.Node]![((offset + r.Bar) * a) + r.Asset])])),
        ];
    }

    private static List<Column> Weights(StrategyBacktestResult result)
    {
        var panel = result.Panel;
        var a = panel.AssetCount;
        var weights = result.TargetWeights.Span;
        var rows = new List<(int Bar, int Asset, double Weight)>();
        for (var t = 0; t < panel.TimeCount; t++)
        {
            for (var i = 0; i < a; i++)
            {
                var w = weights[(t * a) + i];
                if (w != 0 && !double.IsNaN(w))
                    rows.Add((t, i, w));
            }
        }
        return [
            new TimeColumn("time", [.. rows.Select(r => panel.Times[r.Bar])]),
            new TextColumn("symbol", [.. rows.Select(r => panel.Symbols[r.Asset])]),
            new NumberColumn("weight", [.. rows.Select(r => r.Weight)]),
        ];
    }

    private static List<Column> Trades(StrategyBacktestResult result)
    {
        var panel = result.Panel;
        var trades = result.Ledger.Trades;
        return [
            new TextColumn("symbol", [.. trades.Select(t => panel.Symbols[t.Asset])]),
            new TextColumn("side", [.. trades.Select(t => t.Side > 0 ? "long" : "short")]),
            new TimeColumn("entry_time", [.. trades.Select(t => panel.Times[t.EntryBar])]),
            new TimeColumn("exit_time", [.. trades.Select(t => panel.Times[t.ExitBar])]),
            new NumberColumn("pnl", [.. trades.Select(t => t.Pnl)]),
            new TextColumn("state", [.. trades.Select(t => t.Open ? "open" : "closed")]),
        ];
    }

    private static List<Column> Equity(StrategyBacktestResult result)
    {
        var l = result.Ledger;
        return [
            new TimeColumn("time", result.Panel.Times.ToArray()),
            new NumberColumn("equity", l.Equity),
            new NumberColumn("return", l.Returns),
            new NumberColumn("gross_exposure", l.GrossExposure),
            new NumberColumn("net_exposure", l.NetExposure),
            new NumberColumn("turnover", l.Turnover),
        ];
    }

    private static string Csv(List<Column> columns)
    {
        var b = new StringBuilder(string.Join(',', columns.Select(c => c.Name))).Append('\n');
        var rows = Length(columns[0]);
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < columns.Count; c++)
            {
                if (c > 0)
                    b.Append(',');
                b.Append(columns[c] switch
                {
                    TimeColumn t => TimeParser.Format(t.Values[r]),
                    TextColumn s => s.Values[r],
                    NumberColumn n => double.IsNaN(n.Values[r]) ? "" : n.Values[r].ToString("R", CultureInfo.InvariantCulture),
                    _ => throw new InvalidOperationException(),
                });
            }
            b.Append('\n');
        }
        return b.ToString();
    }

    private static int Length(Column column) => column switch
    {
        TimeColumn t => t.Values.Length,
        TextColumn s => s.Values.Length,
        NumberColumn n => n.Values.Length,
        _ => throw new InvalidOperationException(),
    };

    private static void WriteParquet(string path, List<Column> columns) => WriteParquetAsync(path, columns).GetAwaiter().GetResult();

    private static async Task WriteParquetAsync(string path, List<Column> columns)
    {
        var fields = columns.Select(c => c switch
        {
            TimeColumn => (DataField)new DataField<DateTime>(c.Name),
            TextColumn => new DataField<string>(c.Name),
            _ => new DataField<double>(c.Name),
        }).ToArray();
        await using var stream = File.Create(path);
        await using var writer = await ParquetWriter.CreateAsync(new ParquetSchema(fields), stream).ConfigureAwait(false);
        using var group = writer.CreateRowGroup();
        for (var c = 0; c < columns.Count; c++)
        {
            switch (columns[c])
            {
                case TimeColumn t:
                    await group.WriteAsync<DateTime>(fields[c], t.Values.Select(ms => DateTime.UnixEpoch.AddMilliseconds(ms)).ToArray()).ConfigureAwait(false);
                    break;
                case TextColumn s:
                    await group.WriteAsync(fields[c], s.Values).ConfigureAwait(false);
                    break;
                case NumberColumn n:
                    await group.WriteAsync<double>(fields[c], n.Values).ConfigureAwait(false);
                    break;
            }
        }
    }
}
