using System.Globalization;
using System.Net;
using System.Text;
using StrategyLab.Runtime.Data.Csv;

namespace StrategyLab.Runtime.Backtest.Reports;

/// <summary>
/// Renders a run as one self-contained HTML page (no scripts or styles fetched from anywhere):
/// summary, equity against the benchmark, drawdown, monthly returns, returns by year, exposure, per-asset
/// contribution, the quantile chart and the trades. Charts are inline SVG drawn here.
/// </summary>
public static class HtmlReport
{
    private const int Width = 900;
    private const int Height = 260;
    private const int Left = 64;
    private const int Right = 16;
    private const int Top = 14;
    private const int Bottom = 28;
    private const int MaxPoints = 1500;
    private const int MaxTradeRows = 1000;

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The page for <paramref name="report"/>.</summary>
    public static string Render(BacktestReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var m = report.Manifest;
        var b = new StringBuilder();
        b.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>")
            .Append(E(m.Strategy)).Append(" — StrategyLab backtest</title><style>").Append(Style).Append("</style></head><body>");
        b.Append("<h1>").Append(E(m.Strategy)).Append("</h1><p class=\"sub\">dataset ").Append(E(m.Dataset))
            .Append(" · ").Append(report.Times.Length > 0 ? $"{TimeParser.Format(report.Times[0])} to {TimeParser.Format(report.Times[^1])}" : "no bars")
            .Append(" · fills ").Append(E(m.FillTiming)).Append(" · ").Append(E(m.Accounting)).Append(" accounting</p>");
        foreach (var note in report.Notes)
            b.Append("<p class=\"note\">").Append(E(note)).Append("</p>");

        Summary(b, report);
        var equity = Normalised(report.Equity, report.Returns);
        var series = new List<(string, double[])> { ("strategy", equity) };
        if (report.BenchmarkReturns is { } bench)
            series.Add((report.BenchmarkName ?? "benchmark", Compound(bench)));
        Section(b, "Equity", LineChart("equity", report.Times, series, percent: false));
        Section(b, "Drawdown", LineChart("drawdown", report.Times, [("drawdown", Drawdown(equity))], percent: true, area: true));
        Section(b, "Monthly returns", MonthlyTable(report.Times, report.Returns));
        Section(b, "Returns by year", YearTable(report));
        Section(b, "Exposure", LineChart("exposure", report.Times, [("gross", report.GrossExposure), ("net", report.NetExposure)], percent: true));
        if (report.Contributions.Length > 0)
            Section(b, "Contribution by asset", BarChart("contribution", report.Contributions.Take(15).Concat(report.Contributions.Skip(Math.Max(15, report.Contributions.Length - 15))).ToList()));
        if (report.Quantiles.Length > 0)
            Section(b, "Mean forward return by signal quantile", BarChart("quantiles", report.Quantiles.Select(q => ($"q{q.Bin}", q.MeanForwardReturn)).ToList()));
        Section(b, "Trades", TradesTable(report));
        Manifest(b, m);
        b.Append("<script>").Append(RenderCheck).Append("</script></body></html>");
        return b.ToString();
    }

    private static void Summary(StringBuilder b, BacktestReport r)
    {
        var m = r.Metrics;
        var t = r.TradeStatistics;
        var rows = new List<(string, string, string)>
        {
            ("Total return", P(m.TotalReturn), r.BenchmarkMetrics is { } bm ? P(bm.TotalReturn) : ""),
            ("Annualised return", P(m.AnnualizedReturn), r.BenchmarkMetrics is { } b1 ? P(b1.AnnualizedReturn) : ""),
            ("Annualised volatility", P(m.AnnualizedVolatility), r.BenchmarkMetrics is { } b2 ? P(b2.AnnualizedVolatility) : ""),
            ("Sharpe", F(m.Sharpe), r.BenchmarkMetrics is { } b3 ? F(b3.Sharpe) : ""),
            ("Sortino", F(m.Sortino), r.BenchmarkMetrics is { } b4 ? F(b4.Sortino) : ""),
            ("Calmar", F(m.Calmar), r.BenchmarkMetrics is { } b5 ? F(b5.Calmar) : ""),
            ("Max drawdown", P(m.MaxDrawdown), r.BenchmarkMetrics is { } b6 ? P(b6.MaxDrawdown) : ""),
            ("Longest drawdown (bars)", m.MaxDrawdownBars.ToString(Inv), r.BenchmarkMetrics is { } b7 ? b7.MaxDrawdownBars.ToString(Inv) : ""),
            ("Trades (closed / open)", $"{t.Closed} / {t.Open}", ""),
            ("Win rate", P(t.WinRate), ""),
            ("Profit factor", F(t.ProfitFactor), ""),
            ("Average trade", F(t.AverageTrade), ""),
            ("Turnover per bar", P(r.Turnover.Length > 0 ? r.Turnover.Average() : double.NaN), ""),
            ("Average gross exposure", P(r.GrossExposure.Length > 0 ? r.GrossExposure.Average() : double.NaN), ""),
        };
        if (r.SignalAnalysis is { } s)
        {
            rows.Add(("Signal IC (mean per period)", F(s.InformationCoefficient.PerPeriod.Mean), ""));
            rows.Add(("Signal IC t-statistic", F(s.InformationCoefficient.PerPeriod.TStatistic), ""));
            rows.Add(("Directional accuracy", P(s.DirectionalAccuracy.Accuracy), ""));
        }
        b.Append("<table class=\"summary\"><tr><th></th><th>strategy</th><th>").Append(E(r.BenchmarkName ?? "")).Append("</th></tr>");
        foreach (var (name, value, bench) in rows)
            b.Append("<tr><td>").Append(name).Append("</td><td>").Append(value).Append("</td><td>").Append(bench).Append("</td></tr>");
        b.Append("</table>");
    }

    private static void Section(StringBuilder b, string title, string body) =>
        b.Append("<section><h2>").Append(E(title)).Append("</h2>").Append(body).Append("</section>");

    private static double[] Normalised(double[] equity, double[] returns)
    {
        if (equity.Length == 0)
            return [];
        var start = equity[0] / (1 + returns[0]);
        return equity.Select(e => e / start).ToArray();
    }

    private static double[] Compound(double[] returns)
    {
        var e = new double[returns.Length];
        var v = 1.0;
        for (var i = 0; i < e.Length; i++)
            e[i] = v *= 1 + returns[i];
        return e;
    }

    private static double[] Drawdown(double[] equity)
    {
        var d = new double[equity.Length];
        var peak = 1.0;
        for (var i = 0; i < d.Length; i++)
        {
            peak = Math.Max(peak, equity[i]);
            d[i] = equity[i] / peak - 1;
        }
        return d;
    }

    private static string LineChart(string id, long[] times, IReadOnlyList<(string Name, double[] Values)> series, bool percent, bool area = false)
    {
        var n = times.Length;
        var finite = series.SelectMany(s => s.Values).Where(double.IsFinite).ToList();
        if (n < 2 || finite.Count == 0)
            return "<p class=\"empty\">not enough bars to draw</p>";
        double lo = finite.Min(), hi = finite.Max();
        if (area)
            hi = Math.Max(hi, 0);
        if (hi - lo < 1e-12)
        {
            lo -= 0.5;
            hi += 0.5;
        }
        double X(int i) => Left + (Width - Left - Right) * (double)i / (n - 1);
        double Y(double v) => Top + (Height - Top - Bottom) * (hi - v) / (hi - lo);
        var svg = new StringBuilder($"<svg class=\"chart\" id=\"{id}\" viewBox=\"0 0 {Width} {Height}\" role=\"img\">");
        for (var k = 0; k <= 4; k++)
        {
            var v = lo + (hi - lo) * k / 4;
            var y = Y(v);
            svg.Append(Inv, $"<line class=\"grid\" x1=\"{Left}\" x2=\"{Width - Right}\" y1=\"{y:F1}\" y2=\"{y:F1}\"/>")
                .Append(Inv, $"<text class=\"axis\" x=\"{Left - 6}\" y=\"{y + 4:F1}\" text-anchor=\"end\">{(percent ? P(v) : F(v))}</text>");
        }
        for (var k = 0; k <= 4; k++)
        {
            var i = (n - 1) * k / 4;
            var anchor = k == 0 ? "start" : k == 4 ? "end" : "middle";
            svg.Append(Inv, $"<text class=\"axis\" x=\"{X(i):F1}\" y=\"{Height - 8}\" text-anchor=\"{anchor}\">{TimeParser.Format(times[i])[..10]}</text>");
        }
        var colours = new[] { "#1f5fbf", "#d9822b", "#2e9c6a" };
        for (var s = 0; s < series.Count; s++)
        {
            var points = Thin(series[s].Values).Select(p => string.Create(Inv, $"{X(p.Index):F1},{Y(p.Value):F1}"));
            var path = string.Join(" L", points);
            var fill = area ? $" L{X(n - 1):F1},{Y(0):F1} L{X(0):F1},{Y(0):F1} Z" : "";
            svg.Append(Inv, $"<path class=\"series\" d=\"M{path}{fill}\" stroke=\"{colours[s % colours.Length]}\" fill=\"{(area ? "#d9534f33" : "none")}\"/>");
            svg.Append(Inv, $"<text class=\"legend\" x=\"{Left + 10 + 140 * s}\" y=\"{Top + 12}\" fill=\"{colours[s % colours.Length]}\">{E(series[s].Name)}</text>");
        }
        return svg.Append("</svg>").ToString();
    }

    // keeps each bucket's first, lowest and highest point so spikes survive thinning
    private static IEnumerable<(int Index, double Value)> Thin(double[] values)
    {
        var bucket = Math.Max(1, values.Length / MaxPoints);
        for (var start = 0; start < values.Length; start += bucket)
        {
            var end = Math.Min(values.Length, start + bucket);
            int lo = start, hi = start;
            for (var i = start; i < end; i++)
            {
                if (values[i] < values[lo])
                    lo = i;
                if (values[i] > values[hi])
                    hi = i;
            }
            foreach (var i in new[] { start, lo, hi }.Distinct().Order())
            {
                if (double.IsFinite(values[i]))
                    yield return (i, values[i]);
            }
        }
    }

    private static string BarChart(string id, IReadOnlyList<(string Label, double Value)> bars)
    {
        var rowHeight = 18;
        var height = Top + Bottom + rowHeight * bars.Count;
        var max = Math.Max(1e-12, bars.Max(b => Math.Abs(b.Value)));
        // room for the value labels on both sides
        var mid = Left + 90 + (Width - Left - 90 - Right) / 2.0;
        var half = (Width - Left - 90 - Right) / 2.0 - 60;
        var svg = new StringBuilder($"<svg class=\"chart\" id=\"{id}\" viewBox=\"0 0 {Width} {height}\" role=\"img\">");
        svg.Append(Inv, $"<line class=\"grid\" x1=\"{mid:F1}\" x2=\"{mid:F1}\" y1=\"{Top}\" y2=\"{height - Bottom}\"/>");
        for (var i = 0; i < bars.Count; i++)
        {
            var (label, value) = bars[i];
            var w = Math.Max(1, half * Math.Abs(value) / max);
            var x = value >= 0 ? mid : mid - w;
            var y = Top + i * rowHeight;
            svg.Append(Inv, $"<rect class=\"bar\" x=\"{x:F1}\" y=\"{y + 2}\" width=\"{w:F1}\" height=\"{rowHeight - 4}\" fill=\"{(value >= 0 ? "#2e9c6a" : "#d9534f")}\"/>")
                .Append(Inv, $"<text class=\"axis\" x=\"{Left + 80}\" y=\"{y + 13}\" text-anchor=\"end\">{E(label)}</text>")
                .Append(Inv, $"<text class=\"axis\" x=\"{(value >= 0 ? x + w + 4 : x - 4):F1}\" y=\"{y + 13}\" text-anchor=\"{(value >= 0 ? "start" : "end")}\">{F(value)}</text>");
        }
        return svg.Append("</svg>").ToString();
    }

    private static string MonthlyTable(long[] times, double[] returns)
    {
        var months = new SortedDictionary<(int Year, int Month), double>();
        for (var t = 0; t < times.Length; t++)
        {
            var d = DateTimeOffset.FromUnixTimeMilliseconds(times[t]).UtcDateTime;
            months[(d.Year, d.Month)] = (1 + months.GetValueOrDefault((d.Year, d.Month))) * (1 + returns[t]) - 1;
        }
        if (months.Count == 0)
            return "<p class=\"empty\">no bars</p>";
        var b = new StringBuilder("<table class=\"heatmap chart\" id=\"monthly\"><tr><th></th>");
        for (var m = 1; m <= 12; m++)
            b.Append("<th>").Append(CultureInfo.InvariantCulture.DateTimeFormat.GetAbbreviatedMonthName(m)).Append("</th>");
        b.Append("<th>year</th></tr>");
        foreach (var year in months.Keys.Select(k => k.Year).Distinct())
        {
            b.Append("<tr><th>").Append(year.ToString(Inv)).Append("</th>");
            var compounded = 1.0;
            for (var m = 1; m <= 12; m++)
            {
                if (!months.TryGetValue((year, m), out var r))
                {
                    b.Append("<td></td>");
                    continue;
                }
                compounded *= 1 + r;
                b.Append("<td style=\"background:").Append(Heat(r)).Append("\">").Append(P(r)).Append("</td>");
            }
            b.Append("<td style=\"background:").Append(Heat(compounded - 1)).Append("\"><b>").Append(P(compounded - 1)).Append("</b></td></tr>");
        }
        return b.Append("</table>").ToString();
    }

    // the study periods: one row per calendar year
    private static string YearTable(BacktestReport r)
    {
        var rows = Breakdown.Of(r, BreakdownPeriod.Year);
        if (rows.Length == 0)
            return "<p class=\"empty\">no bars</p>";
        var b = new StringBuilder("<table class=\"breakdown\" id=\"years\"><tr><th>year</th><th>return</th>");
        if (r.BenchmarkReturns is not null)
            b.Append("<th>").Append(E(r.BenchmarkName ?? "benchmark")).Append("</th>");
        b.Append("<th>max drawdown</th><th>trades closed</th><th>wins / losses</th><th>win rate</th></tr>");
        foreach (var row in rows)
        {
            b.Append("<tr><td>").Append(Breakdown.Label(row.Start, BreakdownPeriod.Year)).Append("</td><td class=\"")
                .Append(row.Return >= 0 ? "pos" : "neg").Append("\">").Append(P(row.Return)).Append("</td>");
            if (r.BenchmarkReturns is not null)
                b.Append("<td>").Append(P(row.BenchmarkReturn)).Append("</td>");
            b.Append("<td>").Append(P(row.MaxDrawdown)).Append("</td><td>").Append(row.Trades.ToString(Inv)).Append("</td><td>")
                .Append(Inv, $"{row.Wins} / {row.Losses}").Append("</td><td>").Append(P(row.WinRate)).Append("</td></tr>");
        }
        return b.Append("</table>").ToString();
    }

    private static string Heat(double r)
    {
        var strength = Math.Min(1, Math.Abs(r) / 0.2);
        var alpha = (int)(strength * 200) + 20;
        return r >= 0 ? $"#2e9c6a{alpha:x2}" : $"#d9534f{alpha:x2}";
    }

    private static string TradesTable(BacktestReport r)
    {
        if (r.Trades.Length == 0)
            return "<p class=\"empty\">no trades</p>";
        var b = new StringBuilder("<table class=\"trades\"><tr><th>symbol</th><th>side</th><th>entry</th><th>exit</th><th>P&amp;L</th><th></th></tr>");
        foreach (var t in r.Trades.Take(MaxTradeRows))
        {
            b.Append("<tr><td>").Append(E(t.Symbol)).Append("</td><td>").Append(t.Side > 0 ? "long" : "short").Append("</td><td>")
                .Append(TimeParser.Format(t.EntryTime)).Append("</td><td>").Append(TimeParser.Format(t.ExitTime)).Append("</td><td class=\"")
                .Append(t.Pnl >= 0 ? "pos" : "neg").Append("\">").Append(F(t.Pnl)).Append("</td><td>").Append(t.Open ? "open" : "").Append("</td></tr>");
        }
        b.Append("</table>");
        if (r.Trades.Length > MaxTradeRows)
            b.Append("<p class=\"note\">").Append(MaxTradeRows).Append(" of ").Append(r.Trades.Length).Append(" trades shown; trades.csv has them all.</p>");
        return b.ToString();
    }

    private static void Manifest(StringBuilder b, RunManifest m)
    {
        b.Append("<section><h2>Run</h2><table class=\"manifest\">");
        void Row(string k, string v) => b.Append("<tr><td>").Append(E(k)).Append("</td><td><code>").Append(E(v)).Append("</code></td></tr>");
        Row("strategy hash", m.StrategyHash);
        Row("data hash", m.DataHash);
        Row("seed", m.Seed.ToString(Inv));
        Row("version", m.Version);
        foreach (var (k, v) in m.Parameters)
            Row("param " + k, v);
        b.Append("</table></section>");
    }

    private static string E(string s) => WebUtility.HtmlEncode(s);

    private static string P(double x) => double.IsNaN(x) ? "—" : double.IsInfinity(x) ? "∞" : x.ToString("0.00%", Inv);

    private static string F(double x) => double.IsNaN(x) ? "—" : double.IsInfinity(x) ? "∞" : Math.Abs(x) >= 1000 ? x.ToString("N0", Inv) : x.ToString("0.###", Inv);

    private const string Style =
        "body{font:14px/1.4 system-ui,sans-serif;margin:24px auto;max-width:960px;color:#222}h1{margin:0}" +
        ".sub{color:#666;margin:4px 0 16px}.note{background:#fff7e0;border-left:3px solid #d9822b;padding:6px 10px}" +
        "table{border-collapse:collapse;margin:8px 0}td,th{padding:3px 8px;text-align:right;border-bottom:1px solid #eee}" +
        "td:first-child,th:first-child{text-align:left}.chart{width:100%;height:auto}.grid{stroke:#e5e5e5}" +
        ".axis{font-size:11px;fill:#666}.legend{font-size:12px}.series{stroke-width:1.5}" +
        ".heatmap td{font-size:12px;min-width:48px}.pos{color:#2e7d32}.neg{color:#c62828}code{font-size:12px}";

    // counts the charts that have drawn something, for tests that open the page in a browser
    private const string RenderCheck =
        "(function(){var charts=document.querySelectorAll('.chart'),drawn=0;" +
        "charts.forEach(function(c){var ok=false;if(c.tagName.toLowerCase()==='svg'){c.querySelectorAll('path,rect').forEach(function(e){" +
        "var r=e.getBBox();if(r.width>0&&r.height>0)ok=true;});}else{ok=c.getBoundingClientRect().height>0;}if(ok)drawn++;});" +
        "document.body.setAttribute('data-charts',String(charts.length));document.body.setAttribute('data-charts-drawn',String(drawn));})();";
}
