using System.Globalization;
using System.Text;
using System.Text.Json;
using StrategyLab.Runtime.Data.Csv;
using StrategyLab.Runtime.Reports;

namespace StrategyLab.Runtime.Backtest.Reports;

/// <summary>
/// Writes a run to its own folder: <c>manifest.json</c>, <c>metrics.json</c>, <c>equity.csv</c>,
/// <c>trades.csv</c>, <c>report.html</c> and the charting script it loads with its licence
/// (<see cref="PlotlyScript"/>), so the folder opens offline as it is; <c>metrics.json</c> breaks the
/// results down by month and by year (<see cref="Breakdown"/>). Numbers are written in their shortest
/// round-trip form, so equal runs write equal bytes.
/// </summary>
public static class RunFolder
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>Writes every file of <paramref name="report"/> into <paramref name="folder"/> (created if missing).</summary>
    public static void Write(string folder, BacktestReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        Directory.CreateDirectory(folder);
        File.WriteAllBytes(Path.Combine(folder, "manifest.json"), ManifestJson(report));
        File.WriteAllBytes(Path.Combine(folder, "metrics.json"), MetricsJson(report));
        File.WriteAllText(Path.Combine(folder, "equity.csv"), EquityCsv(report));
        File.WriteAllText(Path.Combine(folder, "trades.csv"), TradesCsv(report));
        File.WriteAllText(Path.Combine(folder, "report.html"), HtmlReport.Render(report));
        PlotlyScript.WriteTo(folder);
    }

    /// <summary>The run's <c>manifest.json</c>.</summary>
    public static byte[] ManifestJson(BacktestReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        return JsonSerializer.SerializeToUtf8Bytes(report.Manifest, Json);
    }

    /// <summary>The run's <c>metrics.json</c>: statistics, trades, exposure, benchmark, breakdowns, warnings and notes.</summary>
    public static byte[] MetricsJson(BacktestReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var metrics = new
        {
            report.Metrics,
            Trades = report.TradeStatistics,
            Turnover = report.Turnover.Length > 0 ? report.Turnover.Average() : double.NaN,
            GrossExposure = report.GrossExposure.Length > 0 ? report.GrossExposure.Average() : double.NaN,
            NetExposure = report.NetExposure.Length > 0 ? report.NetExposure.Average() : double.NaN,
            Benchmark = report.BenchmarkName,
            report.BenchmarkMetrics,
            Contributions = report.Contributions.Select(c => new { c.Symbol, c.Contribution }),
            Quantiles = report.Quantiles,
            report.SignalAnalysis,
            Breakdowns = new
            {
                Month = BreakdownRows(report, BreakdownPeriod.Month),
                Year = BreakdownRows(report, BreakdownPeriod.Year),
            },
            report.Warnings,
            report.Notes,
        };
        return JsonSerializer.SerializeToUtf8Bytes(metrics, Json);
    }

    // periods named as people read them (2024-03, 2024), with their start as a time
    private static IEnumerable<object> BreakdownRows(BacktestReport report, BreakdownPeriod period) =>
        Breakdown.Of(report, period).Select(r => new
        {
            Period = Breakdown.Label(r.Start, period),
            Start = TimeParser.Format(r.Start),
            r.Bars,
            r.Return,
            r.BenchmarkReturn,
            r.Trades,
            r.Wins,
            r.Losses,
            r.WinRate,
            r.MaxDrawdown,
        });

    private static string N(double x) => x.ToString("R", CultureInfo.InvariantCulture);

    private static string EquityCsv(BacktestReport r)
    {
        var b = new StringBuilder("time,equity,return,drawdown,gross_exposure,net_exposure,turnover,benchmark_equity\n");
        double peak = 1, start = r.Equity.Length > 0 ? r.Equity[0] / (1 + r.Returns[0]) : 1, bench = 1;
        for (var t = 0; t < r.Times.Length; t++)
        {
            peak = Math.Max(peak, r.Equity[t] / start);
            bench *= 1 + (r.BenchmarkReturns?[t] ?? 0);
            b.Append(TimeParser.Format(r.Times[t])).Append(',').Append(N(r.Equity[t])).Append(',').Append(N(r.Returns[t])).Append(',')
                .Append(N(1 - r.Equity[t] / start / peak)).Append(',').Append(N(r.GrossExposure[t])).Append(',')
                .Append(N(r.NetExposure[t])).Append(',').Append(N(r.Turnover[t])).Append(',')
                .Append(r.BenchmarkReturns is null ? "" : N(bench)).Append('\n');
        }
        return b.ToString();
    }

    private static string TradesCsv(BacktestReport r)
    {
        var b = new StringBuilder("symbol,side,entry_time,exit_time,pnl,open,entry_price,exit_price\n");
        foreach (var t in r.Trades)
        {
            b.Append(t.Symbol).Append(',').Append(t.Side > 0 ? "long" : "short").Append(',')
                .Append(TimeParser.Format(t.EntryTime)).Append(',').Append(TimeParser.Format(t.ExitTime)).Append(',')
                .Append(N(t.Pnl)).Append(',').Append(t.Open ? "true" : "false").Append(',')
                .Append(double.IsNaN(t.EntryPrice) ? "" : N(t.EntryPrice)).Append(',').Append(double.IsNaN(t.ExitPrice) ? "" : N(t.ExitPrice)).Append('\n');
        }
        return b.ToString();
    }
}
